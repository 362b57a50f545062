/**
 * Module hooks for the serverless-offline child of `npm start` (registered by ./register.mjs).
 *
 * serverless-offline 13 (the last release for Serverless Framework v3) terminates a function's worker
 * thread when an invocation exceeds the function's timeout, but keeps the dead runner: the function goes
 * back to the pool IDLE, the next invocation is posted to the terminated worker, never answers, and ends
 * in `[504] - Lambda timeout.` after the full timeout; so does every later one, at any concurrency,
 * until the process restarts (dherault/serverless-offline#1896, fixed in 14.x by #1898). Lambda gives
 * the next invocation a fresh execution environment instead; so does this patch: `HandlerRunner.cleanup()`
 * drops its runner, and the next `run()` starts a new worker.
 */
const HANDLER_RUNNER = /\/serverless-offline\/src\/lambda\/handler-runner\/HandlerRunner\.js$/;
const CLEANUP = /cleanup\(\) \{\n(\s*\/\/[^\n]*\n)?\s*return this\.#runner\.cleanup\(\)\n\s*\}/;
const FIXED = `cleanup() {
    const runner = this.#runner
    this.#runner = null
    return runner?.cleanup()
  }`;

/** HandlerRunner.js's source with the fix; throws if the source is not the one this fix is for. */
export function patchHandlerRunner(source) {
  if (!CLEANUP.test(source)) {
    throw new Error(
      'serverless-offline HandlerRunner.cleanup() is not the one local/offline-fix patches: check the fix is still needed',
    );
  }
  return source.replace(CLEANUP, FIXED);
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!HANDLER_RUNNER.test(url) || result.source === undefined || result.source === null) return result;
  return { ...result, source: patchHandlerRunner(Buffer.from(result.source).toString('utf8')) };
}
