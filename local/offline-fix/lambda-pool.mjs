// `node --import ./local/offline-fix/lambda-pool.mjs serverless.js offline start`, as `npm start` runs it.
//
// serverless-offline 13 gives every invocation that finds no idle instance of its function a new instance, that
// is a new worker thread that loads the function's bundle: a burst of 100 POST /runs on a fresh stack made about
// 100 workers at once, each loading the same bundle on a 2-core machine, and the invocations ran past their
// timeout while they loaded (504, and runs failed by a timed-out Check Capacity). Lambda scales the same way, but
// on its own machines. Here each function has at most BERTH_LAMBDA_WORKERS instances (default 4); an invocation
// that finds them all busy waits for the first to finish, and its timeout starts when it starts running, as
// Lambda's does (the wait is not the function's). Memory is bounded the same way: at most that many warm workers
// per function.
//
// How: LambdaFunctionPool.get (which must answer synchronously) is wrapped. With an idle instance, or room for
// another, it answers as before; otherwise it answers a stand-in that records setEvent/setClientContext and whose
// runHandler queues. When an instance finishes, the next queued invocation is handed to it in the same turn, so
// no other caller can take the instance in between. Only the main thread runs serverless-offline's pool.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/** The per-function bound from BERTH_LAMBDA_WORKERS; throws naming the variable when it is not a positive integer. */
export function workersPerFunction(env = process.env) {
  const raw = env.BERTH_LAMBDA_WORKERS;
  if (raw === undefined || raw === '') return 4;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new Error(`BERTH_LAMBDA_WORKERS must be a whole number from 1 to 64, got "${raw}"`);
  }
  return n;
}

/**
 * Wraps `Pool.prototype.get` and `LambdaFunction.prototype.runHandler` so that each function of each pool has at
 * most `max` instances. Exported for the unit test, which applies it to stand-in classes.
 */
export function boundLambdaPool(Pool, LambdaFunction, max) {
  /** pool -> functionKey -> { instances: Set, queue: Array<(instance) => void> } */
  const pools = new WeakMap();
  /** instance -> its function's state */
  const stateOf = new WeakMap();

  const originalGet = Pool.prototype.get;
  Pool.prototype.get = function get(functionKey, functionDefinition) {
    if (!pools.has(this)) pools.set(this, new Map());
    const byKey = pools.get(this);
    if (!byKey.has(functionKey)) byKey.set(functionKey, { instances: new Set(), queue: [] });
    const state = byKey.get(functionKey);
    for (const instance of state.instances) if (instance.status === 'IDLE') return instance;
    if (state.instances.size < max) {
      const instance = originalGet.call(this, functionKey, functionDefinition);
      state.instances.add(instance);
      stateOf.set(instance, state);
      return instance;
    }
    return queuedInvocation(state);
  };

  const originalRun = LambdaFunction.prototype.runHandler;
  LambdaFunction.prototype.runHandler = async function runHandler(...args) {
    try {
      return await originalRun.apply(this, args);
    } finally {
      // The instance is IDLE again: hand it the next queued invocation before anyone else can take it.
      const next = stateOf.get(this)?.queue.shift();
      if (next !== undefined) next(this);
    }
  };
}

function queuedInvocation(state) {
  let event;
  let clientContext;
  let hasClientContext = false;
  return {
    status: 'BUSY',
    setEvent(value) {
      event = value;
    },
    setClientContext(value) {
      clientContext = value;
      hasClientContext = true;
    },
    runHandler() {
      return new Promise((resolve, reject) => {
        state.queue.push((instance) => {
          if (hasClientContext) instance.setClientContext(clientContext);
          instance.setEvent(event);
          instance.runHandler().then(resolve, reject);
        });
      });
    },
  };
}

if (isMainThread) {
  const require = createRequire(import.meta.url);
  const lambdaDir = path.join(path.dirname(require.resolve('serverless-offline')), 'lambda');
  const { default: Pool } = await import(pathToFileURL(path.join(lambdaDir, 'LambdaFunctionPool.js')).href);
  const { default: LambdaFunction } = await import(pathToFileURL(path.join(lambdaDir, 'LambdaFunction.js')).href);
  boundLambdaPool(Pool, LambdaFunction, workersPerFunction());
}
