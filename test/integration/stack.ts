/**
 * Boots the real local stack (`npm start`'s launcher) on free loopback ports with its own state
 * directory, for tests that talk HTTP to it. `kill()` is a kill -9 of the launcher and its children.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** A port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The processes of the stack whose state directory is `stateDir` (their environment names it): pid and command line. */
export function stackProcesses(stateDir: string): Array<{ pid: string; cmdline: string }> {
  const found: Array<{ pid: string; cmdline: string }> = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`BERTH_STATE_DIR=${stateDir}`)) continue;
      found.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

export interface Stack {
  api: string;
  aws: string;
  /** serverless-offline's Lambda invoke port (the AWS SDK's Lambda Invoke). */
  lambda: string;
  stateDir: string;
  output: () => string;
  /** SIGINT, as Ctrl-C sends it; resolves with the exit code. */
  stop: () => Promise<number | null>;
  /** kill -9 of the whole process group. */
  kill: () => Promise<void>;
  /** kill -9 of the launcher alone, as `kill -9 <pid of npm start>` does; resolves once it has exited. */
  killLauncher: () => Promise<void>;
  /** Whether any process of the stack's process group (the launcher, serverless-offline) is still alive. */
  anyAlive: () => boolean;
}

export interface StackOptions {
  stateDir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'berth-it-'));
  const [apiPort, awsPort, lambdaPort] = [await freePort(), await freePort(), await freePort()];
  // BERTH_CPU_PROFILE_DIR: the launcher's V8 CPU profile too (local/start.ts profiles serverless-offline).
  const cpuProfileDir = options.env?.BERTH_CPU_PROFILE_DIR ?? process.env.BERTH_CPU_PROFILE_DIR;
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    detached: true, // its own process group, so kill -9 reaches serverless-offline too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BERTH_API_PORT: String(apiPort),
      BERTH_AWS_PORT: String(awsPort),
      BERTH_LAMBDA_PORT: String(lambdaPort),
      BERTH_STATE_DIR: stateDir,
      ...options.env,
    },
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const api = `http://127.0.0.1:${apiPort}`;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the stack exited (${child.exitCode}) while starting:\n${output}`);
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`the stack did not come up in time:\n${output}`);
    }
    const up = await fetch(`${api}/task-definitions?limit=1`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    api,
    aws: `http://127.0.0.1:${awsPort}`,
    lambda: `http://127.0.0.1:${lambdaPort}`,
    stateDir,
    output: () => output,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
    kill: async () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
    killLauncher: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    anyAlive: () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    },
  };
}

export interface CliExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx berth ...` against the stack's API, as a user types it in this repository. */
export function berthCli(api: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliExit> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--offline', 'berth', ...args, '--api', api], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
