/**
 * `npm start` to ready: from spawning the launcher (`node --import tsx local/start.ts`, as `npm start` runs it, on
 * free loopback ports with a fresh state directory) to the API's first 200 (GET /task-definitions?limit=1, a real
 * handler behind serverless-offline), polled every 25 ms. Modes, interleaved round by round so load changes hit
 * them alike:
 * - cold: an empty bundle cache and schema check cache (every function bundled by esbuild and serverless.yml checked
 *   by ajv, as every start did before these caches);
 * - warm: the caches the cold starts filled (nothing changed since the last start, the usual case);
 * - baseline (with --baseline-dir DIR): the launcher of another checkout, e.g. the previous commit:
 *     git archive main | tar -x -C /tmp/berth-main && ln -s "$PWD/node_modules" /tmp/berth-main/node_modules
 * Prints each start, each mode's median and best, the ratios, the load average (two cores are shared) before and
 * after, and the last warm start's profile (`npm start -- --profile`, local/start-profile.ts). Bounded: at most
 * --max-seconds (default 270) of starts.
 *
 *   npm run bench:start [-- --rounds 3 --baseline-dir /tmp/berth-main --max-seconds 270]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/integration/stack';

const root = path.resolve(__dirname, '..', '..');
const argAt = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const ROUNDS = Number(argAt('rounds')) || 3;
const BASELINE_DIR = argAt('baseline-dir');
const MAX_SECONDS = Number(argAt('max-seconds')) || 270;
const START_TIMEOUT_MS = 60_000;

type Mode = 'cold' | 'warm' | 'baseline';

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Start {
  ms: number;
  output: string;
}

/** One start of the launcher in `cwd`; resolves once the API answered 200, after killing the whole stack. */
async function oneStart(cwd: string, env: Record<string, string>): Promise<Start> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-start-'));
  const [apiPort, awsPort, lambdaPort] = [await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BERTH_API_PORT: String(apiPort),
      BERTH_AWS_PORT: String(awsPort),
      BERTH_LAMBDA_PORT: String(lambdaPort),
      BERTH_STATE_DIR: stateDir,
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the stack exited (${child.exitCode}) while starting:\n${output}`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`no answer in time:\n${output}`);
      const ok = await fetch(`${api}/task-definitions?limit=1`).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status === 200;
        },
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const ms = performance.now() - started;
    // The launcher prints its profile once its own first call is answered: wait for it (bounded) when asked for.
    if (env.BERTH_START_PROFILE === '1') {
      const until = performance.now() + 5000;
      while (!/^ready \d+$/m.test(output) && performance.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    return { ms, output };
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-bundles-'));
  const schemaCheckDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-schema-check-'));
  const deadline = performance.now() + MAX_SECONDS * 1000;
  const modes: Mode[] = ['cold', 'warm', ...(BASELINE_DIR === undefined ? [] : (['baseline'] as const))];
  const results: Record<Mode, number[]> = { cold: [], warm: [], baseline: [] };
  let lastWarm = '';
  let lastCold = '';
  const loadBefore = loadAverage();
  console.log(`bench/start: ${ROUNDS} round(s) of ${modes.join(', ')}; load average before: ${loadBefore}`);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of modes) {
        if (performance.now() > deadline) throw new Error(`stopped at --max-seconds ${MAX_SECONDS}`);
        if (mode === 'cold') {
          rmSync(cacheDir, { recursive: true, force: true });
          rmSync(schemaCheckDir, { recursive: true, force: true });
        }
        const start =
          mode === 'baseline'
            ? await oneStart(BASELINE_DIR!, {})
            : await oneStart(root, {
                BERTH_BUNDLE_CACHE_DIR: cacheDir,
                BERTH_SCHEMA_CHECK_CACHE_DIR: schemaCheckDir,
                BERTH_START_PROFILE: '1',
              });
        results[mode].push(start.ms);
        if (mode === 'warm') lastWarm = start.output;
        if (mode === 'cold') lastCold = start.output;
        console.log(`  round ${round} ${mode.padEnd(8)} ${fmt(start.ms)}   load ${loadAverage()}`);
      }
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(schemaCheckDir, { recursive: true, force: true });
  }
  console.log('\nmode       median     best');
  for (const mode of modes) {
    const xs = results[mode];
    if (xs.length > 0)
      console.log(`${mode.padEnd(8)} ${fmt(median(xs)).padStart(8)} ${fmt(Math.min(...xs)).padStart(8)}`);
  }
  const ratio = (a: Mode, b: Mode) =>
    results[a].length > 0 && results[b].length > 0 ? (median(results[a]) / median(results[b])).toFixed(2) : '-';
  console.log(
    `cold/warm ${ratio('cold', 'warm')}x${BASELINE_DIR === undefined ? '' : `, baseline/warm ${ratio('baseline', 'warm')}x, baseline/cold ${ratio('baseline', 'cold')}x`}`,
  );
  console.log(`load average before: ${loadBefore}, after: ${loadAverage()}`);
  const profileOf = (output: string) => {
    const lines = output.slice(output.indexOf('start profile')).split('\n');
    const end = lines.findIndex((line) => /^ready \d+$/.test(line));
    // A start whose profile was cut short (the launcher killed before its own first answer): what there is.
    return lines.slice(0, end < 0 ? lines.findIndex((line, i) => i > 1 && !/\s\d+$/.test(line)) : end + 1).join('\n');
  };
  if (lastCold.includes('start profile')) console.log(`\nlast cold start, ${profileOf(lastCold)}`);
  if (lastWarm.includes('start profile')) console.log(`\nlast warm start, ${profileOf(lastWarm)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
