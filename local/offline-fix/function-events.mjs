// `node --import ./local/offline-fix/function-events.mjs serverless.js offline start`, as `npm start` runs it.
//
// The functions' `eventBridge` and `schedule` events in serverless.yml become local rules and schedules run by the
// launcher (local/events/function-rules.ts). Their patterns and expressions may hold Serverless variables
// (`${self:custom.x}`, `${sls:stage}`, `${param:x}`, ...): this process has them resolved already, by the Framework
// itself, so this preload hands the launcher `serverless.service`'s functions as the Framework resolved them,
// instead of the launcher resolving serverless.yml a second time (a second Framework run would cost about as much
// as this process's own start). How: `Serverless.prototype.run` is wrapped; just before the plugin lifecycle runs
// (function names are set, the configuration is validated), one JSON line
//   {"service","stage","region","functions":[{"key","name","maximumRetryAttempts","maximumEventAge","events"}]}
// listing the functions that have such events is written to the file descriptor BERTH_FUNCTION_EVENTS_FD.
//
// serverless-offline runs `schedule` events itself (node-schedule, with rate and cron conversions that do not
// follow EventBridge's: `rate(2 days)` fires on days 1, 3, 5 ... of each month, cron's day-of-week is shifted);
// the launcher runs them instead, on the same schedule code as the trigger file's (local/triggers/scheduler.ts),
// so serverless-offline's is switched off here, or every schedule would fire twice.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/** What the launcher needs of the functions, from a loaded `serverless.service`. */
export function functionEventsReport(service) {
  const functions = [];
  for (const key of service.getAllFunctions()) {
    const definition = service.getFunction(key);
    const events = (definition.events ?? []).filter(
      (event) => event !== null && typeof event === 'object' && ('eventBridge' in event || 'schedule' in event),
    );
    if (events.length === 0) continue;
    functions.push({
      key,
      name: definition.name,
      ...(definition.maximumRetryAttempts !== undefined && { maximumRetryAttempts: definition.maximumRetryAttempts }),
      ...(definition.maximumEventAge !== undefined && { maximumEventAge: definition.maximumEventAge }),
      events,
    });
  }
  return { service: service.service, stage: service.provider.stage, region: service.provider.region, functions };
}

/** Wraps `Serverless.prototype.run` so `report(serverless.service)` runs (and settles) once before the plugins do. */
export function reportBeforePlugins(Serverless, report) {
  const originalRun = Serverless.prototype.run;
  Serverless.prototype.run = function run(...args) {
    const pluginManager = this.pluginManager;
    const originalPluginsRun = pluginManager.run;
    pluginManager.run = async (...commands) => {
      pluginManager.run = originalPluginsRun;
      await report(this.service);
      return originalPluginsRun.apply(pluginManager, commands);
    };
    return originalRun.apply(this, args);
  };
}

/** Switches serverless-offline's own scheduler off (see above); loaded only when a function has a schedule event. */
export async function disableOfflineSchedules(offlineDir) {
  const scheduleUrl = pathToFileURL(path.join(offlineDir, 'events', 'schedule', 'Schedule.js')).href;
  const { default: Schedule } = await import(scheduleUrl);
  Schedule.prototype.create = function create() {
    // The launcher runs the functions' schedules.
  };
}

const fd = Number(process.env.BERTH_FUNCTION_EVENTS_FD);
if (isMainThread && Number.isInteger(fd) && fd > 2) {
  const require = createRequire(import.meta.url);
  const frameworkDir = path.dirname(require.resolve('serverless/package.json'));
  reportBeforePlugins(require(path.join(frameworkDir, 'lib', 'serverless.js')), async (service) => {
    const report = functionEventsReport(service);
    writeSync(fd, `${JSON.stringify(report)}\n`);
    // Importing serverless-offline's scheduler (and node-schedule) costs 50 to 90 ms here: only when it would run.
    if (report.functions.some((fn) => fn.events.some((event) => 'schedule' in event))) {
      await disableOfflineSchedules(path.dirname(require.resolve('serverless-offline')));
    }
  });
}
