/**
 * Reading the queue file, for `serverless package` and `npm start` alike: parsed as YAML and
 * validated whole by config.ts, so what can be deployed and what runs locally are refused for the same reasons.
 * Not for the Lambdas: they never read the file.
 */
import { readYamlFile } from '../yaml-file';
import { formatQueueProblems, parseQueueFile, type Queue } from './config';

/** Reads and validates a queue file; throws an Error listing every problem, each naming its queue. */
export function loadQueueFile(file: string): Queue[] {
  const { document, name } = readYamlFile(file, 'Queue file');
  const result = parseQueueFile(document);
  if (!result.ok) throw new Error(`Queue file ${name} is not valid:\n${formatQueueProblems(result.problems)}`);
  return result.queues;
}
