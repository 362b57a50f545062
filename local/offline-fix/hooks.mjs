/**
 * Module hooks for the serverless-offline child of `npm start` (registered by ./register.mjs): source fixes to
 * serverless-offline 13 (the last release for Serverless Framework v3), each checked against the source it was
 * written for, so an upgrade that changes that source fails the start instead of running unfixed.
 *
 * 1. HandlerRunner.cleanup(): serverless-offline terminates a function's worker thread when an invocation exceeds
 *    the function's timeout, but keeps the dead runner: the function goes back to the pool IDLE, the next
 *    invocation is posted to the terminated worker, never answers, and ends in `[504] - Lambda timeout.` after the
 *    full timeout; so does every later one, until the process restarts (dherault/serverless-offline#1896, fixed in
 *    14.x by #1898). Lambda gives the next invocation a fresh execution environment instead; so does this fix:
 *    `cleanup()` drops its runner, and the next `run()` starts a new worker.
 * 2. InProcessRunner.run() (what each worker thread runs per invocation) resolved the handler again on every
 *    invocation: it walked the bundle's folders up to `/`, stat-ing and reading and parsing each package.json on
 *    the way, before taking the module from the require cache. Lambda loads the handler once, in the execution
 *    environment's init; so does this fix: the handler is resolved on the first invocation and kept (a failed load
 *    is not kept, so the next invocation tries again, as a Lambda init error does).
 * 3. WorkerThreadRunner.run() made a MessageChannel per invocation and never closed it: every invocation left two
 *    ports, their listeners and the answer they last carried, alive for the life of the worker. Closed once the
 *    answer is in.
 * 4. LambdaFunction.runHandler() raced the handler against a timer of the function's whole timeout (up to 900 s)
 *    and never cancelled it: every invocation left a pending timer and its promise for that long. Cleared once
 *    the invocation is over (a plain timer: cancelling timers/promises' through an AbortSignal cost about 100 µs of
 *    CPU an invocation, about half of serverless-offline's own per invocation).
 * 5. WorkerThreadRunner started each worker with V8's default heap limits, which scale with the machine's memory,
 *    not the function's: on a 24 GiB machine each worker's young generation grows to 48 MiB, and with 4 workers of
 *    each function the stack grew by about 450 KiB a run long after every worker had started (1.5x from 10 runs to
 *    1,000). A Lambda execution environment's heap is sized by the function's memory instead. Each worker's young
 *    generation is capped at LAMBDA_WORKER_YOUNG_GENERATION_MB (the handlers' objects live for one invocation, so
 *    a small one only scavenges more often: no measurable CPU at 16 runs in flight; bench/runs/README.md).
 * 6. InProcessRunner.run() copied its environment into process.env on every invocation. In a worker thread that
 *    environment is the worker's own process.env (the function's, given to the worker when it started), so each
 *    invocation set every variable to itself, each through the environment's native setter: 7% of a getRun
 *    worker's CPU. Skipped when it is process.env itself; a runner given another environment still copies it.
 */

/** The young generation of each Lambda worker thread, in MiB (see fix 5). */
export const LAMBDA_WORKER_YOUNG_GENERATION_MB = 4;

/** Each fix: the file it patches, and its edits, each a pattern the source must match and its replacement. */
const PATCHES = [
  {
    name: 'HandlerRunner.cleanup()',
    file: /\/serverless-offline\/src\/lambda\/handler-runner\/HandlerRunner\.js$/,
    edits: [
      {
        from: /cleanup\(\) \{\n(\s*\/\/[^\n]*\n)?\s*return this\.#runner\.cleanup\(\)\n\s*\}/,
        to: `cleanup() {
    const runner = this.#runner
    this.#runner = null
    return runner?.cleanup()
  }`,
      },
    ],
  },
  {
    name: 'InProcessRunner.run() loading the handler',
    file: /\/serverless-offline\/src\/lambda\/handler-runner\/in-process-runner\/InProcessRunner\.js$/,
    edits: [
      {
        from: /const handler = await load\(\n\s*this\.#servicePath,\n\s*join\(this\.#codeDir, this\.#handler\),\n\s*\)/,
        to: `this.loadedHandler ??= load(this.#servicePath, join(this.#codeDir, this.#handler)).catch((err) => {
      this.loadedHandler = undefined
      throw err
    })
    const handler = await this.loadedHandler`,
      },
    ],
  },
  {
    name: 'InProcessRunner.run() environment',
    file: /\/serverless-offline\/src\/lambda\/handler-runner\/in-process-runner\/InProcessRunner\.js$/,
    edits: [
      {
        from: /\n(\s*)assign\(process\.env, this\.#env\)\n/,
        to: `\n$1if (this.#env !== process.env) assign(process.env, this.#env)\n`,
      },
    ],
  },
  {
    name: 'WorkerThreadRunner.run() message channel',
    file: /\/serverless-offline\/src\/lambda\/handler-runner\/worker-thread-runner\/WorkerThreadRunner\.js$/,
    edits: [
      {
        from: /port1\n(\s*)\.on\("message", \(value\) => \{\n/,
        to: `port1
$1.on("message", (value) => {
$1  port1.close()
`,
      },
    ],
  },
  {
    name: 'WorkerThreadRunner worker heap',
    file: /\/serverless-offline\/src\/lambda\/handler-runner\/worker-thread-runner\/WorkerThreadRunner\.js$/,
    edits: [
      {
        from: /\n(\s*)env,\n(\s*)workerData: \{\n/,
        to: `\n$1env,\n$1resourceLimits: { maxYoungGenerationSizeMb: ${LAMBDA_WORKER_YOUNG_GENERATION_MB} },\n$2workerData: {\n`,
      },
    ],
  },
  {
    name: 'LambdaFunction.runHandler() timeout timer',
    file: /\/serverless-offline\/src\/lambda\/LambdaFunction\.js$/,
    // A plain timer the race clears once it has settled: the timeout's promise then never settles and is collected
    // with it (a real timeout's LambdaTimeoutError still rejects the race). An AbortSignal on timers/promises'
    // setTimeout did the same, but made an AbortError, its stack and an abort event on every invocation.
    edits: [
      {
        from: /async #timeoutAndTerminate\(\) \{\n\s*await setTimeout\(this\.#timeout\)\n/,
        to: `async #timeoutAndTerminate(timer) {
    await new Promise((resolve) => {
      timer.id = globalThis.setTimeout(resolve, this.#timeout)
    })
`,
      },
      {
        from: /let result\n\n(\s*)try \{\n(\s*)result = await Promise\.race\(\[\n(\s*)this\.#handlerRunner\.run\(this\.#event, context\),\n(\s*)\.\.\.\(this\.#noTimeout \? \[\] : \[this\.#timeoutAndTerminate\(\)\]\),\n(\s*)\]\)\n/,
        to: `let result
$1const timer = { id: undefined }

$1try {
$2result = await Promise.race([
$3this.#handlerRunner.run(this.#event, context),
$4...(this.#noTimeout ? [] : [this.#timeoutAndTerminate(timer)]),
$5]).finally(() => globalThis.clearTimeout(timer.id))
`,
      },
    ],
  },
];

/** `source` (of `url`) with the fixes that apply to it; throws naming the fix if the source is not the one it is for. */
export function patchSource(url, source) {
  let patched = source;
  for (const patch of PATCHES) {
    if (!patch.file.test(url)) continue;
    for (const { from, to } of patch.edits) {
      if (!from.test(patched)) {
        throw new Error(
          `serverless-offline ${patch.name} is not the one local/offline-fix patches: check the fix is still needed`,
        );
      }
      patched = patched.replace(from, to);
    }
  }
  return patched;
}

/** HandlerRunner.js's source with fix 1; throws if the source is not the one this fix is for. */
export function patchHandlerRunner(source) {
  return patchSource('/serverless-offline/src/lambda/handler-runner/HandlerRunner.js', source);
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!PATCHES.some((patch) => patch.file.test(url)) || result.source === undefined || result.source === null) {
    return result;
  }
  return { ...result, source: patchSource(url, Buffer.from(result.source).toString('utf8')) };
}
