/**
 * A container's log file, shared by both runtimes: opened for append (O_APPEND), so lines from several writers
 * (a process container's stdout and stderr, the runtime's own notes) interleave without overwriting each other.
 *
 * Cost: the runtime's own lines (a simulated container's one line at start and one at stop) are appended with
 * synchronous open + write + close. The write only reaches the page cache (a log is not fsynced), so it takes
 * microseconds, and it saves three thread-pool round trips (futex wake-ups) per line, which cost about ten times
 * more CPU on this kind of VM (measured: 9-40 µs of CPU per line synchronously, 100-230 µs through fs.promises).
 * Directories are created once per process, not at every line; a directory removed meanwhile is made again.
 */
import { closeSync, promises as fs, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CannotStartContainerError, errnoDetail, loggingDriverReason } from './errors';

/** Log directories made (or found) by this process. */
const madeDirs = new Set<string>();

function ensureDir(dir: string, again: boolean): void {
  if (!again && madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

function openFailure(logFile: string, err: unknown): CannotStartContainerError {
  return new CannotStartContainerError(loggingDriverReason(`open ${logFile}: ${errnoDetail(err)}`), { cause: err });
}

/** Opens (creating it and its directory) the log for append; a log that cannot be opened fails the start. */
export async function openLog(logFile: string): Promise<fs.FileHandle> {
  try {
    ensureDir(path.dirname(logFile), false);
    return await fs.open(logFile, 'a').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      ensureDir(path.dirname(logFile), true);
      return fs.open(logFile, 'a');
    });
  } catch (err) {
    throw openFailure(logFile, err);
  }
}

function openForAppend(logFile: string): number {
  try {
    ensureDir(path.dirname(logFile), false);
    try {
      return openSync(logFile, 'a');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      ensureDir(path.dirname(logFile), true);
      return openSync(logFile, 'a');
    }
  } catch (err) {
    throw openFailure(logFile, err);
  }
}

/** Appends one line; resolves once it is written (rejects as openLog does when the log cannot be opened). */
export async function appendLogLine(logFile: string, line: string): Promise<void> {
  const fd = openForAppend(logFile);
  try {
    const data = Buffer.from(`${line}\n`);
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
  } finally {
    closeSync(fd);
  }
}
