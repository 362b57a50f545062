/**
 * The `process` runtime: a container's entryPoint + command run on the host, the way Docker runs an image
 * that has no entrypoint of its own (https://docs.docker.com/reference/dockerfile/#understand-how-cmd-and-entrypoint-interact).
 * POSIX only (process groups and signals).
 *
 * - argv = entryPoint + command, or command alone; executed directly, with no shell unless argv names one.
 *   A bare name is looked up in the container's PATH, as runc does (before anything is started, so that a
 *   missing or non-executable one fails the start in runc's words).
 * - Environment: exactly the container's, plus what a container always has: `PATH` (the host's, so host tools
 *   are found; Docker's default PATH if the host has none) and `HOME` (the scratch dir: a writable home of the
 *   container's own, as `/root` is in a container, so host dotfiles and credentials stay out). The container's
 *   own values win. Nothing else crosses from the host (no TMPDIR, USER, AWS_*, ...); programs use /tmp.
 *   One variable is added, as ECS adds its own (ECS_CONTAINER_METADATA_URI_V4, ...): `BERTH_CONTAINER` =
 *   `<taskArn>/<containerName>`, the mark killOrphan and adoptProcess look for; it cannot be overridden.
 * - cwd: `workingDirectory` when it is an absolute path to a directory on the host, else the scratch dir.
 * - stdin is /dev/null; stdout and stderr are appended, unprefixed, to the log file through one O_APPEND
 *   descriptor that the process holds itself (as `docker logs` shows them, interleaved as written). No pipe
 *   passes through the emulator, so output is never lost and a container can outlive an emulator restart.
 * - Each container is a session and process group leader (pid = pgid), so signals reach the children of
 *   `sh -c`. Like Docker, where the container ends with its main process, whatever is left of the group is
 *   SIGKILLed when the main process exits.
 * - Exit code: the process's own; killed by a signal, 128 + the signal number (SIGTERM 143, SIGKILL 137).
 * - stop(t) is `docker stop -t t` (https://docs.docker.com/engine/reference/commandline/stop/): SIGTERM, then
 *   SIGKILL after t seconds. Deviations, both because there is no PID namespace here: the signals go to the
 *   whole process group, not to the main process alone (as an init such as `tini -g` does), so the children go
 *   too; and the main process is not PID 1, so one without a SIGTERM handler dies of it (143) where Docker's
 *   PID 1 would ignore it and be SIGKILLed after t (137, moby/moby#12228), as with `docker run --init`.
 * - A running container does not keep Node alive (the child is unref'ed: it is detached, and a restarted
 *   emulator adopts it); a container being stopped does, until it has exited, so the SIGKILL is never skipped.
 *
 * Surviving an emulator restart (adoptProcess). A container outlives a kill -9 of the emulator, but its exit
 * status would go to a parent that is gone: a process's status is only ever given to its parent (waitpid), and
 * Docker's own answer, a containerd shim that waits for the container and keeps its status, is what stands here
 * for it. The session leader is a tiny POSIX sh wrapper (WRAPPER) that writes its pid to `<statusDir>/pid`, runs
 * the command in the foreground, and writes the command's status to `<statusDir>/exit` when it ends, with no
 * emulator needed. A restarted emulator finds the container by that pid (or the one in the task's record),
 * checks that it is still the same container (its group and session, the BERTH_CONTAINER mark, its start time),
 * and watches it until it ends; then the exit code is read from the file. A container that ended while no
 * emulator ran has its code in the file already. Signals keep their meaning: StopTask's SIGTERM goes to the
 * whole group, so it reaches the command as before, and the wrapper only *catches* SIGTERM (`trap :`, not
 * `trap ''`: a caught signal is reset to its default across exec, an ignored one would stay ignored in the
 * command), so it outlives the command to record its 143; SIGKILL ends both, which is 137 as Docker reports it
 * (the wrapper's own exit while the emulator is its parent; after a restart, known because this emulator sent it).
 * A SIGTERM that comes after the wrapper set its trap but before the command exists would be caught and lost:
 * stop() first writes `<statusDir>/stop`, and the command is started from a subshell (SIGTERM at its default
 * again) that does not start it if that file is there, so a stop never misses the command.
 * The wrapper keeps the command's environment as given (dash would add PWD: it is unset again, or set back to
 * the container's own value), and it runs the executable found in PATH by its path, so that no shell builtin
 * stands in for a program of the same name (printf, pwd, kill, ...). Deviation: argv[0] of a bare name is then
 * its path as found in PATH (runc keeps the name as given). A container whose wrapper was SIGKILLed by someone
 * else while no emulator ran has no status file: its outcome cannot be known, and its task is stopped as on a
 * lost host. Without /proc (macOS) nothing can be checked, so nothing is adopted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs, constants as fsConstants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import {
  CannotStartContainerError,
  chdirFailedReason,
  errnoCode,
  errnoDetail,
  execFailedReason,
  noCommandReason,
} from './errors';
import { openLog } from './log';
import { containerArgv } from './steering';
import type { AdoptedContainer, ContainerExit, ContainerHandle, ContainerSpec } from './types';

/**
 * The wrapper each process container runs under (see the module comment). `$0` is the status dir; `$1` is 1 when
 * the container's environment sets PWD, to `$2`; then the command. It assigns no variable before the command
 * runs: every variable of the container's environment is exported, and the command must get them as they are.
 */
export const WRAPPER = [
  'echo $$ >"$0/pid"',
  'if [ "$1" = 1 ]; then export PWD="$2"; else unset PWD; fi',
  'shift 2',
  'trap : TERM',
  // A subshell starts with SIGTERM at its default again. A stop sent before the command exists was caught by the
  // wrapper, not the command: stop() writes the `stop` file before it signals, so the command does not start.
  '( if [ -e "$0/stop" ]; then exit 143; fi; exec "$@" )',
  's=$?',
  'echo "$s" >"$0/exit"',
  'exit "$s"',
].join('\n');

/** How often an adopted container (no longer this process's child) is checked for having ended. */
export const ADOPTED_POLL_MS = 100;

/** Docker's default PATH for a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Node timers hold at most 2^31 - 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The variable that marks a process as a Berth container: `<taskArn>/<containerName>`. */
export const CONTAINER_MARKER = 'BERTH_CONTAINER';

/** The environment a process container gets: see the module comment. */
export function containerEnvironment(
  spec: Pick<ContainerSpec, 'environment' | 'scratchDir' | 'taskArn' | 'containerName'>,
): Record<string, string> {
  return {
    PATH: process.env.PATH || DEFAULT_PATH,
    HOME: spec.scratchDir,
    ...spec.environment,
    [CONTAINER_MARKER]: `${spec.taskArn}/${spec.containerName}`,
  };
}

/** The exit code Docker reports: the process's own, else 128 + the number of the signal that killed it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number | null {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? null : 128 + number;
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

async function workingDirectoryOf(spec: ContainerSpec): Promise<string> {
  const wanted = spec.workingDirectory;
  if (wanted && path.isAbsolute(wanted) && (await isDirectory(wanted))) return wanted;
  try {
    await fs.mkdir(spec.scratchDir, { recursive: true });
  } catch (err) {
    throw new CannotStartContainerError(chdirFailedReason(spec.scratchDir, errnoDetail(err)), { cause: err });
  }
  return spec.scratchDir;
}

/** Sends `signal` to the process group led by `pid`; a group that is gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to signal. EPERM: not ours to signal.
  }
}

function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSpawn = () => {
      child.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      child.off('spawn', onSpawn);
      reject(err);
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
}

/** Whether `file` is a regular file this process may execute (what execve needs). */
async function executableFile(file: string): Promise<'ok' | 'ENOENT' | 'EACCES' | 'ENOTDIR'> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return code;
    if (code === 'EACCES') return 'EACCES';
    throw err;
  }
  if (!stat.isFile()) return 'EACCES';
  try {
    await fs.access(file, fsConstants.X_OK);
    return 'ok';
  } catch {
    return 'EACCES';
  }
}

/** An error as a failed execve gives it, for CannotStartContainerError's words. */
function execError(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(code);
  err.code = code;
  return err;
}

/**
 * The file execvp would run for `executable`: a name with a slash as it is (relative to `cwd`), a bare name looked
 * up in `searchPath` (an empty entry is `cwd`), skipping what cannot be executed. Throws an ENOENT, EACCES or
 * ENOTDIR error as execvp would fail.
 */
export async function resolveExecutable(executable: string, searchPath: string, cwd: string): Promise<string> {
  if (executable.includes('\0')) throw execError('EINVAL');
  if (executable.includes('/')) {
    const found = await executableFile(path.resolve(cwd, executable));
    if (found !== 'ok') throw execError(found);
    return executable;
  }
  let denied = false;
  if (executable !== '') {
    for (const dir of searchPath.split(':')) {
      const candidate = path.join(dir === '' ? cwd : path.resolve(cwd, dir), executable);
      const found = await executableFile(candidate);
      if (found === 'ok') return candidate;
      if (found === 'EACCES') denied = true;
    }
  }
  throw execError(denied ? 'EACCES' : 'ENOENT');
}

export async function startProcess(spec: ContainerSpec): Promise<ContainerHandle> {
  const [executable, ...args] = containerArgv(spec);
  if (executable === undefined) throw new CannotStartContainerError(noCommandReason());
  const cwd = await workingDirectoryOf(spec);
  const env = containerEnvironment(spec);
  let resolved: string;
  try {
    resolved = await resolveExecutable(executable, env.PATH ?? '', cwd);
    await fs.mkdir(spec.statusDir, { recursive: true });
  } catch (err) {
    const code = errnoCode(err)?.startsWith('ERR_') ? 'EINVAL' : errnoCode(err);
    throw new CannotStartContainerError(execFailedReason(executable, code), { cause: err });
  }
  const log = await openLog(spec.logFile);

  let child: ChildProcess;
  let exit: ContainerExit | undefined;
  let resolveExited!: (exit: ContainerExit) => void;
  const exited = new Promise<ContainerExit>((resolve) => {
    resolveExited = resolve;
  });
  const killTimers = new Set<NodeJS.Timeout>();
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    // The wrapper exits with the command's status, or dies of the SIGKILL that ended both.
    exit = { exitCode: exitCodeOf(code, signal) };
    for (const timer of killTimers) clearTimeout(timer);
    killTimers.clear();
    // The container ends with its main process. Only now, in the turn that reaped it: once the group is empty
    // its id may be reused, so no signal is sent after this.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    resolveExited(exit);
  };
  const pwd = spec.environment.PWD;
  try {
    child = spawn(
      '/bin/sh',
      ['-c', WRAPPER, spec.statusDir, pwd === undefined ? '0' : '1', pwd ?? '', resolved, ...args],
      {
        cwd,
        env,
        stdio: ['ignore', log.fd, log.fd],
        detached: true,
      },
    );
    child.once('exit', onExit);
    await spawned(child);
  } catch (err) {
    // ENOENT also means a missing cwd: tell the two apart, as runc does.
    if (errnoCode(err) === 'ENOENT' && !(await isDirectory(cwd))) {
      throw new CannotStartContainerError(chdirFailedReason(cwd, 'no such file or directory'), { cause: err });
    }
    // Node's own argument checks (a NUL byte in an argument, ...) stand for the EINVAL execve would give.
    const code = errnoCode(err)?.startsWith('ERR_') ? 'EINVAL' : errnoCode(err);
    throw new CannotStartContainerError(execFailedReason(executable, code), { cause: err });
  } finally {
    await log.close();
  }
  // Later errors (a failed kill) must not crash the emulator; the exit still comes through 'exit'.
  child.on('error', () => {});
  child.unref();
  const pid = child.pid!;

  return {
    kind: 'process',
    pid,
    exited,
    stop(stopTimeoutSeconds: number): Promise<ContainerExit> {
      if (exit) return exited;
      // No exit seen yet, so the leader is not reaped and its pid cannot have been reused: safe to signal.
      const refused = stopGroup(spec, stopTimeoutSeconds, killTimers, {
        keepAlive: () => child.ref(),
        signal: (signal) => signalGroup(pid, signal),
      });
      return refused ?? exited;
    },
  };
}

/** Tells the wrapper not to start the command if it has not yet (see WRAPPER); written before any SIGTERM. */
/**
 * `docker stop -t`: SIGTERM now and SIGKILL after `stopTimeoutSeconds` (its timer kept in `timers`, so closing
 * the runtime can clear it), with Node kept alive until the exit (`keepAlive`, so the SIGKILL is never skipped);
 * a rejected promise when the timeout is not a number >= 0, else undefined.
 */
function stopGroup(
  spec: ContainerSpec,
  stopTimeoutSeconds: number,
  timers: Set<NodeJS.Timeout>,
  { keepAlive, signal }: { keepAlive: () => void; signal: (signal: 'SIGTERM' | 'SIGKILL') => void },
): Promise<never> | undefined {
  if (!Number.isFinite(stopTimeoutSeconds) || stopTimeoutSeconds < 0) {
    return Promise.reject(new RangeError(`stopTimeoutSeconds must be a number >= 0, got ${stopTimeoutSeconds}`));
  }
  keepAlive();
  markStopping(spec);
  signal('SIGTERM');
  const timer = setTimeout(
    () => {
      timers.delete(timer);
      signal('SIGKILL');
    },
    Math.min(stopTimeoutSeconds * 1000, MAX_TIMER_MS),
  );
  timers.add(timer);
  return undefined;
}

function markStopping(spec: ContainerSpec): void {
  try {
    writeFileSync(path.join(spec.statusDir, 'stop'), '');
  } catch {
    // The status dir is gone: the container has ended, or its task's scratch dir was removed.
  }
}

/** The exit code the wrapper wrote, once it has ended; undefined when there is none (or it is torn). */
function recordedExit(spec: ContainerSpec): number | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(spec.statusDir, 'exit'), 'utf8');
  } catch {
    return undefined;
  }
  return /^\d{1,3}\n$/.test(text) ? Number(text.trim()) : undefined;
}

function recordedPid(spec: ContainerSpec): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(spec.statusDir, 'pid'), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The leader `pid` of the container marked `mark`, alive and leading its group and session: its start time. */
function liveLeader(pid: number, mark: string): string | undefined {
  const stat = procStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.pgrp !== pid || stat.session !== pid) return undefined;
  return isMarked(pid, mark) ? stat.starttime : undefined;
}

/**
 * After an emulator restart, finds the process container `spec` that a previous emulator process started (`pid`
 * from the task's record, else the wrapper's pid file): still running (a handle that watches it), ended while no
 * emulator ran (its exit code, from the wrapper's file; what is left of its group is killed, as at any exit),
 * ended in a way that cannot be known, or never started (no pid anywhere). See the module comment.
 */
export function adoptProcess(spec: ContainerSpec, pid: number | undefined, pollMs = ADOPTED_POLL_MS): AdoptedContainer {
  const leader = pid ?? recordedPid(spec);
  if (leader === undefined) return { state: 'not-started' };
  if (!Number.isSafeInteger(leader) || leader <= 1 || leader === process.pid || !procMounted()) {
    return { state: 'unknown' };
  }
  const mark = `${CONTAINER_MARKER}=${spec.taskArn}/${spec.containerName}`;
  const starttime = liveLeader(leader, mark);
  if (starttime === undefined) {
    killOrphan(leader, spec.taskArn);
    const exitCode = recordedExit(spec);
    return exitCode === undefined ? { state: 'unknown' } : { state: 'exited', exit: { exitCode } };
  }
  return { state: 'running', handle: watchAdopted(spec, leader, starttime, pollMs) };
}

/** A handle on a container this process did not start: its end is seen by polling, its code read from the file. */
function watchAdopted(spec: ContainerSpec, pid: number, starttime: string, pollMs: number): ContainerHandle {
  let exit: ContainerExit | undefined;
  let stopping = false;
  let killed = false;
  let poller: NodeJS.Timeout | undefined;
  const killTimers = new Set<NodeJS.Timeout>();
  const alive = () => {
    const stat = procStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.starttime === starttime;
  };
  /** Signals the group while its leader is still the one adopted (its pid cannot have been reused then). */
  const signal = (name: NodeJS.Signals) => {
    if (alive()) signalGroup(pid, name);
  };
  let resolveExited!: (exit: ContainerExit) => void;
  const exited = new Promise<ContainerExit>((resolve) => {
    resolveExited = resolve;
  });
  const poll = () => {
    poller = undefined;
    if (alive()) {
      poller = setTimeout(poll, pollMs);
      if (!stopping) poller.unref();
      return;
    }
    for (const timer of killTimers) clearTimeout(timer);
    killTimers.clear();
    killOrphan(pid, spec.taskArn); // the container ends with its main process: what is left of the group goes
    exit = { exitCode: recordedExit(spec) ?? (killed ? 137 : null) };
    resolveExited(exit);
  };
  poll();
  return {
    kind: 'process',
    pid,
    exited,
    stop(stopTimeoutSeconds: number): Promise<ContainerExit> {
      if (exit) return exited;
      const refused = stopGroup(spec, stopTimeoutSeconds, killTimers, {
        keepAlive: () => {
          stopping = true;
          poller?.ref();
        },
        signal: (sent) => {
          if (sent === 'SIGKILL') killed = true;
          signal(sent);
        },
      });
      return refused ?? exited;
    },
  };
}

/**
 * For restart recovery: SIGKILLs the process group of a container that a previous emulator process started
 * (`pid` as ContainerHandle.pid gave it), also when its main process is gone and only its children are left.
 * Returns whether a signal was sent. Never touches pids 0 and 1 or this process.
 *
 * Ours means (Linux, read from /proc): a live process in the group `pid` whose session is also `pid` (each
 * container is its own session, few other processes are) carries the BERTH_CONTAINER mark in its environment,
 * `<taskArn>/...` when `taskArn` is given. A pid reused by another program fails this, and a group id cannot be
 * reused while any of its members lives, so a group that passes is the container's.
 * Limits: a container whose processes all replaced their environment (`env -i`, overwriting /proc/pid/environ)
 * is not recognised and is left running; processes that moved to a group of their own (setsid, setpgid) are not
 * reached; the check and the kill are not atomic (a group that dies in between and whose id is taken by a new
 * group of the same user in that instant would be hit). Without /proc (macOS) nothing can be checked, so
 * nothing is killed: orphans of a crashed emulator have to be stopped by hand there.
 */
export function killOrphan(pid: number, taskArn?: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid || !procMounted()) return false;
  const mark = `${CONTAINER_MARKER}=${taskArn === undefined ? '' : `${taskArn}/`}`;
  if (!groupMembers(pid).some((member) => isMarked(member, mark))) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false; // ESRCH: it died meanwhile
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
  session: number;
  /** Clock ticks after boot at which it started: with the pid, it names one process for good. */
  starttime: string;
}

function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp session ... starttime (field 22); comm may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state = '', , pgrp, session] = fields;
  return { state, pgrp: Number(pgrp), session: Number(session), starttime: fields[19] ?? '' };
}

/** Live (not zombie) processes of the group `pgid` in the session `pgid`. */
function groupMembers(pgid: number): number[] {
  // Fast path: the leader is alive, which is the usual case.
  const leader = procStat(pgid);
  if (leader && leader.state !== 'Z') return leader.pgrp === pgid && leader.session === pgid ? [pgid] : [];
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.state !== 'Z' && stat.pgrp === pgid && stat.session === pgid) members.push(Number(name));
  }
  return members;
}

function isMarked(pid: number, mark: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .some((entry) => entry.startsWith(mark));
  } catch {
    return false; // gone, or another user's
  }
}

let procChecked: boolean | undefined;
function procMounted(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}
