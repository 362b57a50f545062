/**
 * The `process` runtime: a container's entryPoint + command run on the host, the way Docker runs an image
 * that has no entrypoint of its own (https://docs.docker.com/reference/dockerfile/#understand-how-cmd-and-entrypoint-interact).
 * POSIX only (process groups and signals).
 *
 * - argv = entryPoint + command, or command alone; executed directly, with no shell unless argv names one.
 *   A bare name is looked up in the container's PATH, as runc does.
 * - Environment: exactly the container's, plus what a container always has: `PATH` (the host's, so host tools
 *   are found; Docker's default PATH if the host has none) and `HOME` (the scratch dir: a writable home of the
 *   container's own, as `/root` is in a container, so host dotfiles and credentials stay out). The container's
 *   own values win. Nothing else crosses from the host (no TMPDIR, USER, AWS_*, ...); programs use /tmp.
 *   One variable is added, as ECS adds its own (ECS_CONTAINER_METADATA_URI_V4, ...): `BERTH_CONTAINER` =
 *   `<taskArn>/<containerName>`, the mark killOrphan looks for; it cannot be overridden.
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
 *   emulator reaps it with killOrphan); a container being stopped does, until it has exited, so the SIGKILL
 *   is never skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
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
import type { ContainerExit, ContainerHandle, ContainerSpec } from './types';

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

export async function startProcess(spec: ContainerSpec): Promise<ContainerHandle> {
  const [executable, ...args] = containerArgv(spec);
  if (executable === undefined) throw new CannotStartContainerError(noCommandReason());
  const cwd = await workingDirectoryOf(spec);
  const log = await openLog(spec.logFile);

  let child: ChildProcess;
  let exit: ContainerExit | undefined;
  let resolveExited!: (exit: ContainerExit) => void;
  const exited = new Promise<ContainerExit>((resolve) => {
    resolveExited = resolve;
  });
  const killTimers = new Set<NodeJS.Timeout>();
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    exit = { exitCode: exitCodeOf(code, signal) };
    for (const timer of killTimers) clearTimeout(timer);
    killTimers.clear();
    // The container ends with its main process. Only now, in the turn that reaped it: once the group is empty
    // its id may be reused, so no signal is sent after this.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    resolveExited(exit);
  };
  try {
    child = spawn(executable, args, {
      cwd,
      env: containerEnvironment(spec),
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
    });
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
      if (!Number.isFinite(stopTimeoutSeconds) || stopTimeoutSeconds < 0) {
        return Promise.reject(new RangeError(`stopTimeoutSeconds must be a number >= 0, got ${stopTimeoutSeconds}`));
      }
      child.ref();
      signalGroup(pid, 'SIGTERM');
      // No exit seen yet, so the leader is not reaped and its pid cannot have been reused: safe to signal.
      const timer = setTimeout(
        () => {
          killTimers.delete(timer);
          signalGroup(pid, 'SIGKILL');
        },
        Math.min(stopTimeoutSeconds * 1000, MAX_TIMER_MS),
      );
      killTimers.add(timer);
      return exited;
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
}

function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
  const [state = '', , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, pgrp: Number(pgrp), session: Number(session) };
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
