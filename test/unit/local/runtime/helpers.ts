/** Shared by the runtime tests: a temp dir per test, specs, and cleanup of every container a test started. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type ContainerHandle,
  type ContainerSpec,
  type RuntimeOptions,
  startContainer,
} from '../../../../local/ecs/runtime/runtime';

export const OPTIONS: RuntimeOptions = { simulateSeconds: 0.05 };

export interface Sandbox {
  dir: string;
  logFile: string;
  scratchDir: string;
  statusDir: string;
  spec(overrides?: Partial<ContainerSpec>): ContainerSpec;
  start(overrides?: Partial<ContainerSpec>, options?: RuntimeOptions): Promise<ContainerHandle>;
  log(): string;
  cleanup(): Promise<void>;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-runtime-'));
  const logFile = path.join(dir, 'logs', 'task.log');
  const scratchDir = path.join(dir, 'scratch', 'app');
  const statusDir = path.join(dir, 'scratch', '.berth', 'app');
  const handles: ContainerHandle[] = [];
  const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef',
    containerName: 'app',
    image: 'someimage',
    environment: {},
    logFile,
    scratchDir,
    statusDir,
    ...overrides,
  });
  return {
    dir,
    logFile,
    scratchDir,
    statusDir,
    spec,
    async start(overrides, options = OPTIONS) {
      const handle = await startContainer(spec(overrides), options);
      handles.push(handle);
      return handle;
    },
    log: () => readFileSync(logFile, 'utf8'),
    async cleanup() {
      await Promise.all(handles.map((h) => h.stop(0)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether `pid` is a live process (a zombie, killed but not yet reaped, counts as dead). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) said it exists
  }
}

/** Reads a pid a container wrote to `file`, once it is there. */
export async function pidFrom(file: string): Promise<number> {
  let pid = Number.NaN;
  await waitFor(() => {
    try {
      pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      return false;
    }
    return Number.isInteger(pid);
  }, `a pid in ${file}`);
  return pid;
}
