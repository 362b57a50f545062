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
          closesPort: patched.includes('port1.close()'), cancelsTimer: patched.includes('timer.abort()') };
      })));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', check], { encoding: 'utf8' }),
    ) as { changed: boolean; loadsOnce: boolean; closesPort: boolean; cancelsTimer: boolean }[];
    expect(out.map((o) => o.changed)).toEqual([true, true, true, true]);
    expect(out[1]?.loadsOnce).toBe(true);
    expect(out[2]?.closesPort).toBe(true);
    expect(out[3]?.cancelsTimer).toBe(true);
  });
});
