// `node --import ./local/offline-fix/launcher-ready.mjs serverless.js offline start`, as `npm start` runs it.
// The launcher (local/start.ts) spawns this process first and sets up the local AWS side meanwhile (the endpoint,
// the run-task state machine, the run log group, the runs table, the trigger file's checks): serverless-offline
// opens its API and Lambda ports only once the launcher writes `ready` on this process's stdin, so no request
// sees a stack half set up, and the rest of its start (the Framework, the bundles) runs in parallel with the
// launcher's. The wait is before serverless-offline's `offline:start:init` hook, which makes its servers. If the
// launcher dies first, stdin ends and ./exit-with-launcher.mjs ends this process. With BERTH_WAIT_FOR_LAUNCHER
// unset (`serverless offline` by hand), nothing waits.
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.env.BERTH_WAIT_FOR_LAUNCHER === '1') {
  const launcherReady = new Promise((resolve) => {
    let said = '';
    const listen = (chunk) => {
      said += chunk;
      if (!said.includes('ready\n')) return;
      process.stdin.off('data', listen);
      resolve();
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', listen);
  });
  const require = createRequire(import.meta.url);
  const frameworkDir = path.dirname(require.resolve('serverless/package.json'));
  const PluginManager = require(path.join(frameworkDir, 'lib', 'classes', 'plugin-manager.js'));
  const { runHooks } = PluginManager.prototype;
  PluginManager.prototype.runHooks = async function runHooksAfterLauncher(hookName, hooks) {
    if (hookName === 'offline:start:init') await launcherReady;
    return runHooks.call(this, hookName, hooks);
  };
}
