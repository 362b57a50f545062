/**
 * local/offline-fix/function-events.mjs: the report the launcher reads (from a service shaped as the Framework's),
 * and serverless-offline's own scheduler switched off on its real class, so a function's schedule fires once (from
 * the launcher's rules), not also from serverless-offline.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const preload = pathToFileURL(path.join(root, 'local/offline-fix/function-events.mjs')).href;
const offlineDir = path.join(root, 'node_modules/serverless-offline/src');

function runModule(script: string): unknown {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, BERTH_FUNCTION_EVENTS_FD: '' },
  });
  return JSON.parse(out);
}

/** How many node-schedule jobs serverless-offline's Schedule makes for one rate schedule, with or without the switch. */
function offlineJobs(disabled: boolean): number {
  return runModule(`
    import { createRequire } from 'node:module';
    import { disableOfflineSchedules } from ${JSON.stringify(preload)};
    const require = createRequire(${JSON.stringify(path.join(offlineDir, 'index.js'))});
    const { default: Schedule } = await import(${JSON.stringify(pathToFileURL(path.join(offlineDir, 'events/schedule/Schedule.js')).href)});
    const nodeSchedule = (await import(require.resolve('node-schedule'))).default;
    if (${disabled}) await disableOfflineSchedules(${JSON.stringify(offlineDir)});
    new Schedule({ get() {} }, 'us-east-1').create([{ functionKey: 'tick', schedule: { rate: ['rate(1 minute)'] } }]);
    const jobs = Object.keys(nodeSchedule.scheduledJobs).length;
    nodeSchedule.gracefulShutdown();
    console.log(JSON.stringify(jobs));
    process.exit(0);
  `) as number;
}

describe('function-events preload', () => {
  it('reports the functions with eventBridge or schedule events, with their names and async retry settings', () => {
    const report = runModule(`
      import { functionEventsReport } from ${JSON.stringify(preload)};
      const functions = {
        onTask: { name: 'berth-dev-onTask', maximumRetryAttempts: 1, events: [
          { eventBridge: { pattern: { source: ['aws.ecs'] } } }, { http: { path: '/x', method: 'get' } } ] },
        reconcile: { name: 'berth-dev-reconcile', events: [{ schedule: 'rate(5 minutes)' }] },
        api: { name: 'berth-dev-api', events: [{ http: { path: '/y', method: 'get' } }] },
        bare: { name: 'berth-dev-bare' },
      };
      const service = {
        service: 'berth',
        provider: { stage: 'dev', region: 'us-east-1' },
        getAllFunctions: () => Object.keys(functions),
        getFunction: (key) => functions[key],
      };
      console.log(JSON.stringify(functionEventsReport(service)));
    `);
    expect(report).toEqual({
      service: 'berth',
      stage: 'dev',
      region: 'us-east-1',
      functions: [
        {
          key: 'onTask',
          name: 'berth-dev-onTask',
          maximumRetryAttempts: 1,
          events: [{ eventBridge: { pattern: { source: ['aws.ecs'] } } }],
        },
        { key: 'reconcile', name: 'berth-dev-reconcile', events: [{ schedule: 'rate(5 minutes)' }] },
      ],
    });
  });

  it('switches serverless-offline’s scheduler off', () => {
    expect(offlineJobs(true)).toBe(0);
  });

  it('is still needed: without it serverless-offline schedules the function itself', () => {
    expect(offlineJobs(false)).toBe(1);
  });
});
