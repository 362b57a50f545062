/**
 * A container's log file, shared by both runtimes: opened for append (O_APPEND), so lines from several writers
 * (a process container's stdout and stderr, the runtime's own notes) interleave without overwriting each other.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CannotStartContainerError, errnoDetail, loggingDriverReason } from './errors';

/** Opens (creating it and its directory) the log for append; a log that cannot be opened fails the start. */
export async function openLog(logFile: string): Promise<fs.FileHandle> {
  try {
    await fs.mkdir(path.dirname(logFile), { recursive: true });
    return await fs.open(logFile, 'a');
  } catch (err) {
    throw new CannotStartContainerError(loggingDriverReason(`open ${logFile}: ${errnoDetail(err)}`), { cause: err });
  }
}

/** Appends one line; resolves once it is written. */
export async function appendLogLine(logFile: string, line: string): Promise<void> {
  const log = await openLog(logFile);
  try {
    await log.appendFile(`${line}\n`);
  } finally {
    await log.close();
  }
}
