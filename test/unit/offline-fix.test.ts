/**
 * local/offline-fix: serverless-offline's worker-thread runner, killed after a timed-out invocation,
 * must be replaced on the next invocation instead of hanging it (dherault/serverless-offline#1896).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const handlerRunner = path.join(root, 'node_modules/serverless-offline/src/lambda/handler-runner/HandlerRunner.js');
const register = path.join(root, 'local/offline-fix/register.mjs');

/** Runs an invocation, cleans the runner up (as a timeout does), runs another; prints both results. */
function runTwiceAcrossCleanup(withFix: boolean): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-offline-fix-'));
  writeFileSync(path.join(dir, 'fn.js'), 'exports.handler = async (event) => ({ echo: event.n });\n');
  const script = `
    import HandlerRunner from ${JSON.stringify(pathToFileURL(handlerRunner).href)};
    const runner = new HandlerRunner(
      { codeDir: ${JSON.stringify(dir)}, servicePath: ${JSON.stringify(dir)}, handler: 'fn.handler',
        functionKey: 'fn', runtime: 'nodejs20.x', timeout: 10000 },
      {}, {});
    const first = await runner.run({ n: 1 }, {});
    await runner.cleanup();
    const second = await Promise.race([
      runner.run({ n: 2 }, {}),
      new Promise((resolve) => setTimeout(() => resolve('no answer'), 2000).unref()),
    ]);
    console.log(JSON.stringify([first, second]));
    await runner.cleanup();
    process.exit(0); // the runner's message ports keep the process alive
  `;
  const file = path.join(dir, 'check.mjs');
  writeFileSync(file, script);
  return execFileSync(process.execPath, [...(withFix ? ['--import', pathToFileURL(register).href] : []), file], {
    encoding: 'utf8',
    timeout: 20_000,
  }).trim();
}

describe('serverless-offline HandlerRunner fix', () => {
  it('the next invocation after a cleanup runs in a new worker', () => {
    expect(runTwiceAcrossCleanup(true)).toBe(JSON.stringify([{ echo: 1 }, { echo: 2 }]));
  });

  it('is still needed: without it the invocation after a cleanup never answers', () => {
    expect(runTwiceAcrossCleanup(false)).toBe(JSON.stringify([{ echo: 1 }, 'no answer']));
  });

  it('refuses a HandlerRunner it was not written for', () => {
    const hooks = pathToFileURL(path.join(root, 'local/offline-fix/hooks.mjs')).href;
    const check = `
      import { patchHandlerRunner } from ${JSON.stringify(hooks)};
      import { readFileSync } from 'node:fs';
      const patched = patchHandlerRunner(readFileSync(${JSON.stringify(handlerRunner)}, 'utf8'));
      let refused = '';
      try { patchHandlerRunner('export default class HandlerRunner {}'); } catch (err) { refused = err.message; }
      console.log(JSON.stringify({ fixed: patched.includes('this.#runner = null'), refused }));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', check], { encoding: 'utf8' }),
    ) as { fixed: boolean; refused: string };
    expect(out.fixed).toBe(true);
    expect(out.refused).toMatch(/offline-fix/);
  });
});

describe('the serverless-offline fixes (local/offline-fix/hooks.mjs)', () => {
  it('apply to the installed serverless-offline, each changing its source', () => {
    const hooks = pathToFileURL(path.join(root, 'local/offline-fix/hooks.mjs')).href;
    const lambda = path.join(root, 'node_modules/serverless-offline/src/lambda');
    const files = [
      'handler-runner/HandlerRunner.js',
      'handler-runner/in-process-runner/InProcessRunner.js',
      'handler-runner/worker-thread-runner/WorkerThreadRunner.js',
      'LambdaFunction.js',
    ].map((f) => path.join(lambda, f));
    const check = `
      import { patchSource } from ${JSON.stringify(hooks)};
      import { readFileSync } from 'node:fs';
      const files = ${JSON.stringify(files)};
      console.log(JSON.stringify(files.map((f) => {
        const source = readFileSync(f, 'utf8');
        const patched = patchSource(f, source);
        return { changed: patched !== source, loadsOnce: patched.includes('this.loadedHandler ??='),
          closesPort: patched.includes('port1.close()'), cancelsTimer: patched.includes('globalThis.clearTimeout(timer.id)'),
          boundsHeap: patched.includes('resourceLimits: { maxYoungGenerationSizeMb: 4 }'),
          keepsOwnEnv: patched.includes('if (this.#env !== process.env) assign(process.env, this.#env)') };
      })));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', check], { encoding: 'utf8' }),
    ) as {
      changed: boolean;
      loadsOnce: boolean;
      closesPort: boolean;
      cancelsTimer: boolean;
      boundsHeap: boolean;
      keepsOwnEnv: boolean;
    }[];
    expect(out.map((o) => o.changed)).toEqual([true, true, true, true]);
    expect(out[1]?.loadsOnce).toBe(true);
    expect(out[1]?.keepsOwnEnv).toBe(true);
    expect(out[2]?.closesPort).toBe(true);
    expect(out[2]?.boundsHeap).toBe(true);
    expect(out[3]?.cancelsTimer).toBe(true);
  });
});

/**
 * Runs `body` in a fresh Node process (with the fixes when `withFix`) that has serverless-offline's own LambdaFunction
 * imported as `LambdaFunction`, a `serverless` service whose provider sets FIX_CHECK, and `fn.js` exporting
 * `handler`; returns the JSON of the last line it prints.
 */
function throughLambdaFunction<T>(handler: string, body: string, withFix: boolean): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-offline-fix-'));
  writeFileSync(path.join(dir, 'fn.js'), `exports.handler = ${handler};\n`);
  const lambdaFunction = path.join(root, 'node_modules/serverless-offline/src/lambda/LambdaFunction.js');
  const script = `
    import LambdaFunction from ${JSON.stringify(pathToFileURL(lambdaFunction).href)};
    const serverless = {
      service: {
        service: 'fix',
        provider: { region: 'us-east-1', runtime: 'nodejs20.x', environment: { FIX_CHECK: 'the function' } },
        package: {},
      },
      config: { serverlessPath: ${JSON.stringify(dir)}, servicePath: ${JSON.stringify(dir)} },
    };
    ${body}
  `;
  const file = path.join(dir, 'check.mjs');
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [...(withFix ? ['--import', pathToFileURL(register).href] : []), file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/**
 * An invocation that outlives its function's 1 s timeout, then a quick one of a function with a 2 s timeout; then
 * cleans up and lets the process end on its own. Prints what each invocation gave and how long the process took to
 * end after the last one.
 */
function invokeThroughLambdaFunction(withFix: boolean): { quick: unknown; slow: unknown; exitMs: number } {
  return throughLambdaFunction(
    'async (event) => { await new Promise((r) => setTimeout(r, event.ms)); return { slept: event.ms }; }',
    `
    const make = (timeout) =>
      new LambdaFunction('fn', { handler: 'fn.handler', name: 'fix-fn', timeout }, serverless, {});
    const run = async (fn, ms) => {
      fn.setEvent({ ms });
      try { return await fn.runHandler(); } catch (err) { return String(err.message); }
    };
    const [short, long] = [make(1), make(2)];
    const slow = await run(short, 3000); // past its 1 s timeout
    const quick = await run(long, 10); // well within its 2 s
    await short.cleanup();
    await long.cleanup();
    const ended = Date.now();
    process.on('exit', () => console.log(JSON.stringify({ quick, slow, exitMs: Date.now() - ended })));
    `,
    withFix,
  );
}

describe('serverless-offline LambdaFunction timeout timer fix', () => {
  it("an invocation's timeout still ends it with the 504, and no timer outlives the invocations", () => {
    const { quick, slow, exitMs } = invokeThroughLambdaFunction(true);
    expect(quick).toEqual({ slept: 10 });
    expect(slow).toBe('[504] - Lambda timeout.');
    // Nothing is left pending: the process ends as soon as its work is done.
    expect(exitMs).toBeLessThan(900);
  });

  it('is still needed: without it the quick invocation leaves its 2 s timer pending', () => {
    expect(invokeThroughLambdaFunction(false).exitMs).toBeGreaterThanOrEqual(1000);
  });
});

/** A handler run twice reports its worker's heap limits and the function's variable as each invocation sees it. */
function workerHeapLimits(withFix: boolean): { limits: { maxYoungGenerationSizeMb?: number }; env: unknown[] } {
  return throughLambdaFunction(
    "async () => ({ limits: require('node:worker_threads').resourceLimits, env: process.env.FIX_CHECK })",
    `
    const fn = new LambdaFunction('fn', { handler: 'fn.handler', name: 'fix-fn', timeout: 1 }, serverless, {});
    fn.setEvent({});
    const first = await fn.runHandler();
    fn.setEvent({});
    const second = await fn.runHandler();
    await fn.cleanup();
    console.log(JSON.stringify({ limits: first.limits, env: [first.env, second.env] }));
    `,
    withFix,
  );
}

describe('serverless-offline worker heap and environment fixes', () => {
  it("caps each Lambda worker's young generation; every invocation still sees the function's environment", () => {
    const { limits, env } = workerHeapLimits(true);
    expect(limits.maxYoungGenerationSizeMb).toBe(4);
    expect(env).toEqual(['the function', 'the function']);
  });

  it("is still needed: without it a worker's young generation follows the machine's memory", () => {
    expect(workerHeapLimits(false).limits.maxYoungGenerationSizeMb).not.toBe(4);
  });
});
