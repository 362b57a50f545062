// `node --import ./local/offline-fix/start-profile.mjs?after=<preload> serverless.js offline start`, as
// `npm start -- --profile` runs it (local/start-profile.ts). Reports what serverless-offline's process spends
// before its API answers, as marks on the file descriptor BERTH_START_PROFILE_FD, one JSON line each:
//   {"phase":"...","start":<epoch ms>,"end":<epoch ms>}
// The launcher imports this module once first (the process is up), then once after each other preload, with
// `?after=<name>` (a distinct URL, so a distinct module instance): each instance marks that preload's end. The
// first instance also wraps the Framework's own steps: its variable resolution (each resolveVariables call),
// `Serverless#init` (loading the plugins), and every lifecycle hook, named by event and plugin (serverless-esbuild's
// `before:offline:start:init` is the bundling of the functions; serverless-offline's `offline:start:init` makes
// the Lambda and HTTP servers). Nothing is marked when the variable is unset; the worker threads mark nothing.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const fd = Number(process.env.BERTH_START_PROFILE_FD);
const now = () => performance.timeOrigin + performance.now();

function mark(phase, start, end = now()) {
  writeSync(fd, `${JSON.stringify({ phase, start, end })}\n`);
}

/** Replaces `object[name]` (a method returning a promise) by one that marks each call as `phase(args)`. */
function timeAsync(object, name, phase) {
  const original = object[name];
  object[name] = async function timed(...args) {
    const start = now();
    try {
      return await original.apply(this, args);
    } finally {
      mark(phase(...args), start);
    }
  };
}

if (isMainThread && Number.isInteger(fd) && fd > 2) {
  const after = new URL(import.meta.url).searchParams.get('after');
  if (after !== null) {
    mark(`preload ${after}`, globalThis.berthStartProfileLastMark ?? performance.timeOrigin);
    globalThis.berthStartProfileLastMark = now();
  } else {
    mark('node up', performance.timeOrigin);
    globalThis.berthStartProfileLastMark = now();
    const require = createRequire(import.meta.url);
    const frameworkDir = path.dirname(require.resolve('serverless/package.json'));
    const lib = (...parts) => path.join(frameworkDir, 'lib', ...parts);

    // scripts/serverless.js requires this module after the preloads: the cached exports are what it gets.
    const resolvePath = require.resolve(lib('configuration', 'variables', 'resolve.js'));
    const resolveVariables = require(resolvePath);
    let resolutions = 0;
    require.cache[resolvePath].exports = async function resolveVariablesTimed(...args) {
      const start = now();
      try {
        return await resolveVariables(...args);
      } finally {
        mark(`Framework: variable resolution #${++resolutions}`, start);
      }
    };

    const Serverless = require(lib('serverless.js'));
    timeAsync(Serverless.prototype, 'init', () => 'Framework: init (plugins loaded)');
    const Service = require(lib('classes', 'service.js'));
    timeAsync(Service.prototype, 'validate', () => 'Framework: configuration validated (schema)');
    const PluginManager = require(lib('classes', 'plugin-manager.js'));
    const { run } = PluginManager.prototype;
    let pluginsRunAt;
    PluginManager.prototype.run = function runTimed(...args) {
      // The `initialize` hooks run first, outside runHooks: marked from here to the first lifecycle hook.
      pluginsRunAt = now();
      return run.apply(this, args);
    };
    const { runHooks } = PluginManager.prototype;
    PluginManager.prototype.runHooks = async function runHooksTimed(hookName, hooks) {
      if (pluginsRunAt !== undefined) {
        mark('Framework: initialize hooks', pluginsRunAt);
        pluginsRunAt = undefined;
      }
      for (const hook of hooks) {
        const start = now();
        const done = () => mark(`hook ${hookName} (${hook.pluginName})`, start);
        // serverless-offline's `offline:start:ready` waits for a signal: marked when it starts waiting.
        if (hookName === 'offline:start:ready') done();
        await runHooks.call(this, hookName, [hook]);
        if (hookName !== 'offline:start:ready') done();
      }
    };
  }
}
