/**
 * Reading the queue file, for `serverless package` and `npm start` alike: parsed as YAML and
 * validated whole by config.ts, so what can be deployed and what runs locally are refused for the same reasons.
 * Not for the Lambdas: they never read the file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readYamlFile } from '../yaml-file';
import { DEFAULT_QUEUE, formatQueueProblems, parseQueueFile, type Queue } from './config';

/** Reads and validates a queue file; throws an Error listing every problem, each naming its queue. */
export function loadQueueFile(file: string): Queue[] {
  const { document, name } = readYamlFile(file, 'Queue file');
  const result = parseQueueFile(document);
  if (!result.ok) throw new Error(`Queue file ${name} is not valid:\n${formatQueueProblems(result.problems)}`);
  return result.queues;
}

/**
 * The stage's queues: BERTH_QUEUES_FILE when set (it must exist), else `queues.yml` in `dir` if there is one, else
 * the `default` queue alone.
 */
export function loadStageQueues(dir: string, env: Readonly<Record<string, string | undefined>> = process.env): Queue[] {
  const named = env.BERTH_QUEUES_FILE;
  if (named) return loadQueueFile(path.resolve(dir, named));
  const file = path.join(dir, 'queues.yml');
  return existsSync(file) ? loadQueueFile(file) : [{ name: DEFAULT_QUEUE }];
}
