/**
 * Reading the trigger file, for `serverless package` (deploy/triggers.js) and `npm start` (local/triggers/)
 * alike: parsed as YAML and validated whole by config.ts, so what can be deployed and what runs locally are
 * refused for the same reasons, in the same words. Not for the Lambdas: they never read the file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { formatTriggerProblems, parseTriggerFile, type Trigger, type TriggerFileOptions } from './config';

/** The file as a message names it: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Reads and validates a trigger file; throws an Error listing every problem, each naming its trigger. */
export function loadTriggerFile(file: string, options: TriggerFileOptions = {}): Trigger[] {
  const absolute = path.resolve(file);
  let document: unknown;
  try {
    document = YAML.parse(readFileSync(absolute, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`Trigger file ${shown(absolute)}: ${code === 'ENOENT' ? 'not found' : (err as Error).message}`);
  }
  const result = parseTriggerFile(document, options);
  if (!result.ok) {
    throw new Error(`Trigger file ${shown(absolute)} is not valid:\n${formatTriggerProblems(result.problems)}`);
  }
  return result.triggers;
}
