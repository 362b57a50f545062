/**
 * Reading a configuration file of the repo (the trigger file, the queue file) as YAML, for `serverless package`
 * and `npm start`: a missing or unparsable file is an Error naming it, as a message shows it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** The file as a message names it: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * The parsed document and the file's name for messages (`${label} ${name} is not valid: ...`); throws
 * `${label} ${name}: not found` or YAML's own message.
 */
export function readYamlFile(file: string, label: string): { document: unknown; name: string } {
  const absolute = path.resolve(file);
  const name = shown(absolute);
  try {
    return { document: YAML.parse(readFileSync(absolute, 'utf8')), name };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${label} ${name}: ${code === 'ENOENT' ? 'not found' : (err as Error).message}`);
  }
}
