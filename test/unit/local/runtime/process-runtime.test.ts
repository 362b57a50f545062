import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { adoptProcess, WRAPPER } from '../../../../local/ecs/runtime/process-runtime';
import { CannotStartContainerError, type ContainerSpec, killOrphan } from '../../../../local/ecs/runtime/runtime';
import { isAlive, pidFrom, type Sandbox, sandbox, waitFor } from './helpers';

const RUNC =
  'CannotStartContainerError: Error response from daemon: failed to create task for container: ' +
  'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ';

// A ceiling for a loaded machine, not a timing assertion: a broken stop or kill would hang far longer.
jest.setTimeout(30_000);

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

/** Parses `env` output into a record. */
function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

async function startFailure(overrides: Parameters<Sandbox['start']>[0]): Promise<CannotStartContainerError> {
  const err = await box.start(overrides).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CannotStartContainerError);
  const error = err as CannotStartContainerError;
  expect(error.name).toBe('CannotStartContainerError');
  expect(error.message).toBe(error.reason);
  return error;
}

describe('process runtime: running', () => {
  it('records the exit code and appends the output to the log', async () => {
    mkdirSync(path.dirname(box.logFile), { recursive: true });
    writeFileSync(box.logFile, 'earlier\n');
    const handle = await box.start({ command: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'] });
    expect(handle.kind).toBe('process');
    expect(handle.pid).toEqual(expect.any(Number));
    await expect(handle.exited).resolves.toEqual({ exitCode: 3 });
    expect(box.log()).toBe('earlier\nhi\noops\n');
  });

  it('builds argv as entryPoint + command, with no shell in between', async () => {
    const handle = await box.start({
      entryPoint: ['sh', '-c', 'printf "%s|" "$0" "$@"'],
      command: ['a b', '$HOME', '*'],
    });
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    expect(box.log()).toBe('a b|$HOME|*|');
  });

  it('runs command alone when there is no entryPoint', async () => {
    const handle = await box.start({ command: ['printf', '%s|', 'x y', '$PATH'] });
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    expect(box.log()).toBe('x y|$PATH|');
  });

  it('passes exactly the container environment plus the host PATH, HOME = the scratch dir and the mark', async () => {
    process.env.BERTH_TEST_HOST_ONLY = 'leak';
    try {
      const handle = await box.start({ command: ['env'], environment: { FOO: 'bar', EMPTY: '', 'WITH=EQ': 'x' } });
      await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    } finally {
      delete process.env.BERTH_TEST_HOST_ONLY;
    }
    expect(parseEnv(box.log())).toEqual({
      PATH: process.env.PATH,
      HOME: box.scratchDir,
      FOO: 'bar',
      EMPTY: '',
      WITH: 'EQ=x',
      BERTH_CONTAINER: `${box.spec().taskArn}/app`,
    });
  });

  it("lets the container's own PATH and HOME win, but not its BERTH_CONTAINER", async () => {
    const handle = await box.start({
      command: ['env'],
      environment: { PATH: '/usr/bin:/bin', HOME: '/home/app', BERTH_CONTAINER: 'mine' },
    });
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    expect(parseEnv(box.log())).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/app',
      BERTH_CONTAINER: `${box.spec().taskArn}/app`,
    });
  });

  it('runs in workingDirectory when it exists on the host', async () => {
    const workdir = path.join(box.dir, 'work');
    mkdirSync(workdir);
    const handle = await box.start({ command: ['pwd'], workingDirectory: workdir });
    await handle.exited;
    expect(box.log()).toBe(`${realpathSync(workdir)}\n`);
  });

  it.each([
    ['missing', '/nonexistent/berth/app'],
    ['unset', undefined],
  ])('runs in the scratch dir (created) when workingDirectory is %s', async (_, workingDirectory) => {
    const handle = await box.start({ command: ['pwd'], workingDirectory });
    await handle.exited;
    expect(box.log()).toBe(`${realpathSync(box.scratchDir)}\n`);
  });

  it.each([
    ['SIGKILL', 'kill -KILL $$', 137],
    ['SIGTERM', 'kill -TERM $$', 143],
    ['SIGINT', 'kill -INT $$', 130],
  ])('reports 128 + the signal number for a process killed by %s', async (_, script, exitCode) => {
    const handle = await box.start({ command: ['sh', '-c', script] });
    await expect(handle.exited).resolves.toEqual({ exitCode });
  });

  it('kills what is left of the container when its main process exits, as Docker does', async () => {
    const pidFile = path.join(box.dir, 'child.pid');
    const handle = await box.start({ command: ['sh', '-c', `sleep 600 & echo $! > ${pidFile}`] });
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    const child = await pidFrom(pidFile);
    await waitFor(() => !isAlive(child), 'the background sleep to die');
  });
});

describe('process runtime: failing to start', () => {
  it('rejects a bare name not found in PATH, in runc words', async () => {
    const err = await startFailure({ command: ['berth-nope', 'arg'] });
    expect(err.reason).toBe(`${RUNC}exec: "berth-nope": executable file not found in $PATH: unknown`);
  });

  it('looks the executable up in the container PATH', async () => {
    const err = await startFailure({ command: ['sh', '-c', 'true'], environment: { PATH: '/nonexistent' } });
    expect(err.reason).toBe(`${RUNC}exec: "sh": executable file not found in $PATH: unknown`);
  });

  it('rejects a path that does not exist', async () => {
    const err = await startFailure({ entryPoint: ['/nonexistent/berth/app'], command: ['run'] });
    expect(err.reason).toBe(
      `${RUNC}exec: "/nonexistent/berth/app": stat /nonexistent/berth/app: no such file or directory: unknown`,
    );
  });

  it('rejects a file that is not executable', async () => {
    const file = path.join(box.dir, 'script.sh');
    writeFileSync(file, 'echo hi\n', { mode: 0o644 });
    const err = await startFailure({ command: [file] });
    expect(err.reason).toBe(`${RUNC}exec: ${JSON.stringify(file)}: permission denied: unknown`);
  });

  it('rejects a forced process container with nothing to run', async () => {
    const err = await startFailure({ dockerLabels: { 'berth.runtime': 'process' }, command: [] });
    expect(err.reason).toBe('CannotStartContainerError: Error response from daemon: No command specified');
  });

  it('rejects an argument Node cannot pass (a NUL byte) instead of crashing', async () => {
    const err = await startFailure({ command: ['echo', 'a\u0000b'] });
    expect(err.reason).toBe(`${RUNC}exec: "echo": invalid argument: unknown`);
  });

  it('rejects a log file that cannot be opened', async () => {
    mkdirSync(path.join(box.dir, 'log-is-a-dir'));
    const err = await startFailure({ command: ['true'], logFile: path.join(box.dir, 'log-is-a-dir') });
    expect(err.reason).toMatch(
      /^CannotStartContainerError: Error response from daemon: failed to initialize logging driver: open .*log-is-a-dir: /,
    );
  });
});

describe('process runtime: stop', () => {
  it('ends a process that honours SIGTERM with 143, without waiting for the timeout', async () => {
    const handle = await box.start({ command: ['sleep', '600'] });
    // Were SIGKILL needed, the exit would be 137, and only after 600 s.
    await expect(handle.stop(600)).resolves.toEqual({ exitCode: 143 });
    await expect(handle.exited).resolves.toEqual({ exitCode: 143 });
  });

  it('stops a container the moment it started with 143: a SIGTERM before its command exists is not lost', async () => {
    // The wrapper catches SIGTERM; one sent before it has started the command must still stop it.
    const exits = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const handle = await box.start({
          containerName: `c${i}`,
          scratchDir: path.join(box.dir, 'scratch', `c${i}`),
          statusDir: path.join(box.dir, 'status', `c${i}`),
          command: ['sleep', '600'],
        });
        return handle.stop(20); // were its SIGTERM lost: 137 after 20 s, past the test's timeout
      }),
    );
    expect(exits).toEqual(exits.map(() => ({ exitCode: 143 })));
  });

  it('does not start the command once a stop was asked for, though its SIGTERM came before the command existed', async () => {
    // What stop() leaves for a wrapper that caught the SIGTERM between setting its trap and starting the command.
    mkdirSync(box.statusDir, { recursive: true });
    writeFileSync(path.join(box.statusDir, 'stop'), '');
    const wrapper = spawn('/bin/sh', ['-c', WRAPPER, box.statusDir, '0', '', '/bin/sh', '-c', 'echo ran; sleep 600'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    let out = '';
    wrapper.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const [code] = (await once(wrapper, 'exit')) as [number | null];
    expect(code).toBe(143);
    expect(out).toBe('');
    expect(readFileSync(path.join(box.statusDir, 'exit'), 'utf8')).toBe('143\n');
  });

  it('SIGKILLs a process that ignores SIGTERM once the timeout is spent: 137', async () => {
    // An ignored signal stays ignored across exec, so sleep ignores it too.
    const handle = await box.start({ command: ['sh', '-c', 'trap "" TERM; echo ready; sleep 600'] });
    await waitFor(() => box.log().includes('ready'), 'the trap to be set');
    const started = performance.now();
    await expect(handle.stop(0.5)).resolves.toEqual({ exitCode: 137 });
    // A lower bound only, with room for a late timer start: a loaded machine makes it longer, never shorter.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('SIGKILLs at once with a timeout of 0', async () => {
    const handle = await box.start({ command: ['sh', '-c', 'trap "" TERM; echo ready; sleep 600'] });
    await waitFor(() => box.log().includes('ready'), 'the trap to be set');
    await expect(handle.stop(0)).resolves.toEqual({ exitCode: 137 });
  });

  it('reaches the children of sh -c', async () => {
    const pidFile = path.join(box.dir, 'child.pid');
    const handle = await box.start({ command: ['sh', '-c', `sleep 600 & echo $! > ${pidFile}; wait`] });
    const child = await pidFrom(pidFile);
    expect(isAlive(child)).toBe(true);
    await expect(handle.stop(1)).resolves.toEqual({ exitCode: 143 });
    await waitFor(() => !isAlive(child), 'the child of sh -c to die');
  });

  it('sends SIGTERM to the children too, so they can shut down cleanly', async () => {
    const child = path.join(box.dir, 'child.sh');
    writeFileSync(child, "trap 'echo child got TERM; exit 0' TERM\necho ready\nwhile :; do sleep 0.01; done\n");
    // The main process outlives the child: it exits with the child's status once the child is done.
    const handle = await box.start({ command: ['sh', '-c', `trap : TERM; sh ${child} & wait; wait`] });
    await waitFor(() => box.log().includes('ready'), 'the child to set its trap');
    await expect(handle.stop(2)).resolves.toEqual({ exitCode: 0 });
    expect(box.log()).toContain('child got TERM');
  });

  it('resolves with the exit of a container that has already exited', async () => {
    const handle = await box.start({ command: ['sh', '-c', 'exit 7'] });
    await handle.exited;
    await expect(handle.stop(1)).resolves.toEqual({ exitCode: 7 });
  });

  it('rejects a negative or non-finite timeout without signalling', async () => {
    const handle = await box.start({ command: ['sleep', '600'] });
    await expect(handle.stop(-1)).rejects.toThrow(RangeError);
    await expect(handle.stop(Number.NaN)).rejects.toThrow(RangeError);
    expect(isAlive(handle.pid!)).toBe(true);
  });

  it('does not keep Node alive while running, and does while stopping', async () => {
    // Child processes that keep Node alive: none once the containers of earlier tests have been reaped.
    const count = () => process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length;
    await waitFor(() => count() === 0, 'other child processes to close');
    const handle = await box.start({ command: ['sh', '-c', 'trap "" TERM; echo ready; sleep 600'] });
    expect(count()).toBe(0);
    await waitFor(() => box.log().includes('ready'), 'the trap to be set');
    const stopped = handle.stop(0.1);
    expect(count()).toBe(1);
    await expect(stopped).resolves.toEqual({ exitCode: 137 });
  });
});

const FIXTURE = path.join(__dirname, 'fixtures', 'previous-endpoint.ts');
const OTHER_TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/ffffffffffffffffffffffffffffffff';

describe('killOrphan', () => {
  it('kills the process group of a container', async () => {
    const pidFile = path.join(box.dir, 'child.pid');
    const handle = await box.start({ command: ['sh', '-c', `sleep 600 & echo $! > ${pidFile}; wait`] });
    const child = await pidFrom(pidFile);
    expect(killOrphan(handle.pid!, box.spec().taskArn)).toBe(true);
    await expect(handle.exited).resolves.toEqual({ exitCode: 137 });
    await waitFor(() => !isAlive(child), 'the child to die');
    // The group has a third member (the command's shell under the container's wrapper), which a loaded machine
    // may not have torn down yet: once the whole group is gone, there is nothing left to kill.
    await waitFor(() => !killOrphan(handle.pid!), 'the whole process group to be gone');
    expect(killOrphan(handle.pid!)).toBe(false);
  });

  it("leaves alone another task's container", async () => {
    const handle = await box.start({ command: ['sleep', '600'] });
    expect(killOrphan(handle.pid!, OTHER_TASK)).toBe(false);
    expect(isAlive(handle.pid!)).toBe(true);
  });

  it('leaves alone a process that does not lead its own group', async () => {
    const pidFile = path.join(box.dir, 'child.pid');
    await box.start({ command: ['sh', '-c', `sleep 600 & echo $! > ${pidFile}; wait`] });
    const child = await pidFrom(pidFile);
    expect(killOrphan(child)).toBe(false);
    expect(isAlive(child)).toBe(true);
  });

  it('leaves alone a session leader that is not a Berth container (a reused pid)', async () => {
    const stranger = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    try {
      await once(stranger, 'spawn');
      expect(killOrphan(stranger.pid!)).toBe(false);
      expect(isAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('kills what a dead emulator left: a whole container, and the children of one whose main process is gone', async () => {
    const taskA = box.spec().taskArn;
    const childFile = (name: string) => path.join(box.dir, `${name}.pid`);
    const specs = ['a', 'b'].map((name) =>
      box.spec({
        taskArn: name === 'a' ? taskA : OTHER_TASK,
        command: ['sh', '-c', `sleep 600 & echo $! > ${childFile(name)}; wait`],
      }),
    );
    const endpoint = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(specs)], {
      cwd: path.join(__dirname, '..', '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let pids: number[] = [];
    try {
      let out = '';
      endpoint.stdout.setEncoding('utf8');
      for await (const chunk of endpoint.stdout) {
        out += chunk;
        if (out.includes('\n')) break;
      }
      pids = JSON.parse(out) as number[];
      const [a = 0, b = 0] = pids;
      const [childA, childB] = [await pidFrom(childFile('a')), await pidFrom(childFile('b'))];

      endpoint.kill('SIGKILL');
      // b's main process dies while no emulator watches over it: its child is left behind.
      process.kill(b, 'SIGKILL');
      await waitFor(() => !isAlive(b), "b's main process to die");
      expect(isAlive(childB)).toBe(true);

      expect(killOrphan(a, taskA)).toBe(true);
      expect(killOrphan(b, OTHER_TASK)).toBe(true);
      await waitFor(() => ![a, childA, childB].some(isAlive), 'the orphans to die');
      expect(killOrphan(a, taskA)).toBe(false);
    } finally {
      endpoint.kill('SIGKILL');
      for (const pid of pids) killOrphan(pid); // what a failed run left, if anything
    }
  });

  it.each([
    ['pid 0', 0],
    ['pid 1', 1],
    ['a negative pid', -1],
    ['a fraction', 1.5],
    ['this process', process.pid],
    ['a pid that is gone', 2 ** 22 + 1],
  ])('never touches %s', (_, pid) => {
    expect(killOrphan(pid)).toBe(false);
  });
});

/** Starts `specs` in a stand-in emulator process, then kills it with SIGKILL: their pids. */
async function orphaned(specs: ContainerSpec[]): Promise<number[]> {
  const endpoint = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(specs)], {
    cwd: path.join(__dirname, '..', '..', '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    endpoint.stdout.setEncoding('utf8');
    for await (const chunk of endpoint.stdout) {
      out += chunk;
      if (out.includes('\n')) break;
    }
    return JSON.parse(out) as number[];
  } finally {
    endpoint.kill('SIGKILL');
    await once(endpoint, 'exit').catch(() => {});
  }
}

describe('adoptProcess (after an emulator restart)', () => {
  const specFor = (name: string, script: string) =>
    box.spec({
      containerName: name,
      statusDir: path.join(box.dir, 'status', name),
      command: ['sh', '-c', script],
    });

  it('watches a container that outlived its emulator and gets its real exit code when it ends', async () => {
    const go = path.join(box.dir, 'go');
    const spec = specFor('later', `while [ ! -e ${go} ]; do sleep 0.02; done; exit 5`);
    const [pid = 0] = await orphaned([spec]);
    expect(isAlive(pid)).toBe(true);
    const adopted = adoptProcess(spec, pid, 10);
    expect(adopted.state).toBe('running');
    if (adopted.state !== 'running') return;
    expect(adopted.handle.pid).toBe(pid);
    writeFileSync(go, '');
    await expect(adopted.handle.exited).resolves.toEqual({ exitCode: 5 });
  });

  it('finds it by the pid its wrapper wrote when the task record has none', async () => {
    const spec = specFor('unrecorded', 'exec sleep 600');
    const [pid = 0] = await orphaned([spec]);
    const adopted = adoptProcess(spec, undefined, 10);
    expect(adopted).toMatchObject({ state: 'running', handle: { pid } });
    if (adopted.state === 'running') await expect(adopted.handle.stop(5)).resolves.toEqual({ exitCode: 143 });
  });

  it('stops an adopted container: SIGTERM reaches the command (143); one that ignores it is SIGKILLed (137)', async () => {
    const polite = specFor('polite', 'exec sleep 600');
    const stubborn = specFor('stubborn', `trap "" TERM; echo ready >> ${path.join(box.dir, 'ready')}; sleep 600`);
    const [a = 0, b = 0] = await orphaned([polite, stubborn]);
    await waitFor(() => {
      try {
        return readFileSync(path.join(box.dir, 'ready'), 'utf8') !== '';
      } catch {
        return false;
      }
    }, 'the trap to be set');
    const first = adoptProcess(polite, a, 10);
    const second = adoptProcess(stubborn, b, 10);
    if (first.state !== 'running' || second.state !== 'running') throw new Error('not adopted');
    await expect(first.handle.stop(30)).resolves.toEqual({ exitCode: 143 });
    const started = performance.now();
    await expect(second.handle.stop(0.3)).resolves.toEqual({ exitCode: 137 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    await waitFor(() => !isAlive(a) && !isAlive(b), 'both to be gone');
  });

  it('reads the exit code of a container that ended while no emulator ran, and kills what it left', async () => {
    const childFile = path.join(box.dir, 'child.pid');
    const go = path.join(box.dir, 'go');
    const spec = specFor(
      'meanwhile',
      `sleep 600 & echo $! > ${childFile}; while [ ! -e ${go} ]; do sleep 0.02; done; exit 9`,
    );
    const [pid = 0] = await orphaned([spec]);
    const child = await pidFrom(childFile);
    writeFileSync(go, '');
    await waitFor(() => !isAlive(pid), 'the wrapper to end');
    expect(isAlive(child)).toBe(true);
    expect(adoptProcess(spec, pid, 10)).toEqual({ state: 'exited', exit: { exitCode: 9 } });
    await waitFor(() => !isAlive(child), 'what the container left to be killed');
  });

  it('cannot know the outcome of one killed with its wrapper while no emulator ran, and never started one with no pid', async () => {
    const spec = specFor('killed', 'exec sleep 600');
    const [pid = 0] = await orphaned([spec]);
    process.kill(-pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 'the group to die');
    expect(adoptProcess(spec, pid, 10)).toEqual({ state: 'unknown' });
    expect(adoptProcess(specFor('never', 'true'), undefined, 10)).toEqual({ state: 'not-started' });
  });

  it("does not adopt another container's process (a reused pid, or another task)", async () => {
    const spec = specFor('mine', 'exec sleep 600');
    const [pid = 0] = await orphaned([spec]);
    try {
      expect(adoptProcess({ ...spec, taskArn: OTHER_TASK }, pid, 10)).toEqual({ state: 'unknown' });
    } finally {
      killOrphan(pid);
    }
  });
});
