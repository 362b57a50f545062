/**
 * Reading the trigger file, for `serverless package` (deploy/triggers.js) and `npm start` (local/triggers/)
 * alike: parsed as YAML and validated whole by config.ts, so what can be deployed and what runs locally are
 * refused for the same reasons, in the same words. Not for the Lambdas: they never read the file.
 */
import { readYamlFile } from '../yaml-file';
import { formatTriggerProblems, parseTriggerFile, type Trigger, type TriggerFileOptions } from './config';

/** Reads and validates a trigger file; throws an Error listing every problem, each naming its trigger. */
export function loadTriggerFile(file: string, options: TriggerFileOptions = {}): Trigger[] {
  const { document, name } = readYamlFile(file, 'Trigger file');
  const result = parseTriggerFile(document, options);
  if (!result.ok) throw new Error(`Trigger file ${name} is not valid:\n${formatTriggerProblems(result.problems)}`);
  return result.triggers;
}
