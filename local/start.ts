/**
 * `npm start`: the whole stack on this machine.
 * 1. Start Berth's local AWS endpoint (ECS, Step Functions wire protocols) in this process.
 * 2. Run serverless-offline as a child serving the real handlers, pointed at that endpoint
 *    through AWS_ENDPOINT_URL, with dummy credentials so nothing can reach a real account.
 * 3. On Ctrl-C (or SIGTERM) stop the child, then close the endpoint; if the child dies, stop too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { runsTable } from '../deploy/runs-table';
import { commaList } from '../lib/env';
import { ensureLocalTables } from './dynamodb/tables';
import { probeDocker } from './ecs/runtime/runtime';
import { startAwsEndpoint } from './endpoint/server';
import { DEFAULT_SERVICES } from './endpoint/services';
import { type LocalFunctionRules, readFunctionEventsReport, startFunctionRules } from './events/function-rules';
import { localEventSubscribers } from './events/subscribers';
import { ensureLocalRunLogGroup, localRunLogsRoleArn } from './run-logs';
import { localSettings, localStageParam, paramsFromEnvironment } from './settings';
import { lambdaClientInvoker } from './sfn/lambda-invoke';
import { sfnService, stepFunctionsService } from './sfn/service';
import { profileRequested, READY_PHASE, StartProfile } from './start-profile';
import { isAlive } from './store';
import { openLocalTriggers } from './triggers';
import { clockFromEnv } from './triggers/clock';
import { ensureLocalWorkflows, runTaskStateMachineName } from './workflows';

// The stack runs on the developer's Node (20 is supported; Lambda runs 22+): the SDK's notice about
// Node 20 support says nothing about Berth, here or in the handlers.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** serverless.yml's default stage: the names below (custom.runTaskStateMachineName) depend on it. */
const LOCAL_STAGE = 'dev';
const LOCAL_SUBNET = 'subnet-00000000000000000';

/** The ARN of the run-task state machine as the local endpoint names it. */
function runTaskStateMachineArn(settings: { region: string; accountId: string }): string {
  return `arn:aws:states:${settings.region}:${settings.accountId}:stateMachine:${runTaskStateMachineName(LOCAL_STAGE)}`;
}

/**
 * This launcher's bundle directory, `.berth/build/<pid>`, after removing those of launchers that are gone (a
 * `kill -9` leaves its directory behind; the next start reclaims it).
 */
function claimBuildDir(): string {
  const root = path.join(process.cwd(), '.berth', 'build');
  mkdirSync(root, { recursive: true });
  for (const entry of readdirSync(root)) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) {
      rmSync(path.join(root, entry), { recursive: true, force: true });
    }
  }
  return path.join(root, String(process.pid));
}

async function main() {
  // `npm start -- --profile`: what the start spends, printed once the API answers (local/start-profile.ts).
  const profile = new StartProfile();
  const profiling = profileRequested(process.argv.slice(2), process.env);
  profile.mark('launcher: Node, tsx and its modules', profile.origin);
  const settings = localSettings();
  const buildDir = claimBuildDir();
  const serverlessYml = readFileSync(path.join(process.cwd(), 'serverless.yml'), 'utf8');
  const invokeLambda = lambdaClientInvoker(`http://${settings.host}:${settings.lambdaPort}`, settings.region);
  // Schedules, event triggers and run events (local/triggers/): an invalid trigger file stops here, naming the trigger.
  const triggers = await profile.time('launcher: trigger file read and checked', () =>
    openLocalTriggers({
      settings,
      stage: LOCAL_STAGE,
      runTaskStateMachineArn: runTaskStateMachineArn(settings),
      invoke: invokeLambda,
      // A trigger for a family the stage does not run could never start a run: refused here, as at package time.
      runFamilies: commaList(localStageParam(serverlessYml, process.env, 'runFamilies') ?? '*'),
    }),
  );
  // Executions a restart interrupted resume once their Lambda tasks can be called (local/sfn/service.ts).
  let lambdasServing!: () => void;
  const resumeAfter = new Promise<void>((resolve) => {
    lambdasServing = resolve;
  });
  const endpoint = await profile.time('launcher: AWS endpoint listening', () =>
    startAwsEndpoint({
      host: settings.host,
      port: settings.awsPort,
      region: settings.region,
      accountId: settings.accountId,
      stateDir: settings.stateDir,
      // Step Functions' Lambda tasks run the real handlers, through serverless-offline's Lambda port.
      services: DEFAULT_SERVICES.map((service) =>
        service === stepFunctionsService ? sfnService({ invokeLambda, resumeAfter }) : service,
      ),
    }),
  );
  log(
    `AWS endpoint (ECS, Step Functions, EventBridge, DynamoDB, CloudWatch Logs) on ${endpoint.url}, state in ${settings.stateDir}`,
  );
  // Said once: whether ECS tasks can run their images (BERTH_ECS_RUNTIME, local/ecs/runtime/runtime.ts).
  const docker = await profile.time('launcher: Docker probe', probeDocker);
  log(
    docker.ok
      ? `ECS containers run in ${docker.version} when their image is present or can be pulled`
      : `ECS containers run as host processes or are simulated: ${docker.why}`,
  );
  const runTask = await profile.time('launcher: run-task state machine', () =>
    ensureLocalWorkflows({
      endpointUrl: endpoint.url,
      region: settings.region,
      accountId: settings.accountId,
      stage: LOCAL_STAGE,
    }),
  );
  log(`Run-task state machine ${runTask.action}: ${runTask.stateMachineArn}`);
  const runLogGroup = await profile.time('launcher: run log group', () =>
    ensureLocalRunLogGroup({
      endpointUrl: endpoint.url,
      region: settings.region,
      stage: LOCAL_STAGE,
      retentionInDays: Number(localStageParam(serverlessYml, process.env, 'runLogRetentionDays') ?? 30),
    }),
  );
  log(`Run log group ${runLogGroup}`);
  // The runs table, from the resource serverless.yml deploys (deploy/runs-table.js), with the local stage's name.
  const service = /^service:\s*(\S+)/m.exec(serverlessYml)?.[1] ?? 'berth';
  const tables = await profile.time('launcher: DynamoDB tables', () =>
    ensureLocalTables(
      { endpointUrl: endpoint.url, region: settings.region },
      { RunsTable: runsTable({ service, stage: LOCAL_STAGE }) },
    ),
  );
  for (const table of tables) {
    log(`Table ${table.tableName} ${table.action}${table.changes.length > 0 ? `: ${table.changes.join('; ')}` : ''}`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: settings.region,
    AWS_DEFAULT_REGION: settings.region,
    AWS_ACCESS_KEY_ID: 'berth-local',
    AWS_SECRET_ACCESS_KEY: 'berth-local',
    BERTH_HOST: settings.host,
    BERTH_API_PORT: String(settings.apiPort),
    BERTH_LAMBDA_PORT: String(settings.lambdaPort),
    // Its own bundles (serverless.yml custom.esbuild.outputWorkFolder): `npx serverless package`, or another
    // stack started from this checkout, cleans and rewrites `.esbuild`, never the bundles this stack serves.
    BERTH_BUILD_DIR: path.relative(process.cwd(), buildDir),
    // The child reports its functions' resolved eventBridge/schedule events on fd 3 (offline-fix/function-events.mjs).
    BERTH_FUNCTION_EVENTS_FD: '3',
  };
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) delete env[name];

  // serverless-offline does not resolve the CloudFormation intrinsics serverless.yml builds these from
  // on AWS, so the local values are passed as params (a --param wins over the file's params).
  const params = [
    // BERTH_MAX_TASK_CPU=1024 npm start: stage settings from the environment (see local/settings.ts).
    ...paramsFromEnvironment(serverlessYml, process.env, [
      'runTaskStateMachineArn',
      'subnets',
      'runLogExecutionRoleArn',
    ]),
    `runTaskStateMachineArn=${runTaskStateMachineArn(settings)}`,
    `runLogExecutionRoleArn=${localRunLogsRoleArn(settings.accountId, LOCAL_STAGE)}`,
    // The local cluster takes any subnet id: awsvpc tasks (the example) run with no networkConfiguration.
    `subnets=${process.env.BERTH_SUBNETS || LOCAL_SUBNET}`,
  ].map((param) => `--param=${param}`);
  const serverless = path.join(path.dirname(require.resolve('serverless/package.json')), 'bin', 'serverless.js');
  // The hooks fix serverless-offline's handling of a timed-out worker (see local/offline-fix/hooks.mjs).
  const offlineFix = path.join(__dirname, 'offline-fix', 'register.mjs');
  // It exits when its stdin ends, that is when this process is gone, however it died (see the module).
  const exitWithLauncher = path.join(__dirname, 'offline-fix', 'exit-with-launcher.mjs');
  // No web page may drive its API or Lambda port: Host and Origin checks (local/endpoint/browser-guard.ts).
  const browserGuard = path.join(__dirname, 'offline-fix', 'browser-guard.mjs');
  // The console page at /console on the API's own origin (see the module).
  const consolePage = path.join(__dirname, 'offline-fix', 'console.mjs');
  // At most BERTH_LAMBDA_WORKERS workers per function, so a burst queues instead of timing out (see the module).
  const lambdaPool = path.join(__dirname, 'offline-fix', 'lambda-pool.mjs');
  // The functions' eventBridge and schedule events, as the Framework resolved them, for local rules (see the module).
  const functionEvents = path.join(__dirname, 'offline-fix', 'function-events.mjs');
  const preloads = { offlineFix, exitWithLauncher, browserGuard, consolePage, lambdaPool, functionEvents };
  // Profiled, serverless-offline's process marks its steps (see the module), after each preload too.
  const startProfile = pathToFileURL(path.join(__dirname, 'offline-fix', 'start-profile.mjs')).href;
  const args = [
    ...(profiling ? ['--import', startProfile] : []),
    ...Object.entries(preloads).flatMap(([name, file]) => [
      '--import',
      pathToFileURL(file).href,
      ...(profiling ? ['--import', `${startProfile}?after=${name}`] : []),
    ]),
    serverless,
    'offline',
    'start',
    '--region',
    settings.region,
    '--stage',
    LOCAL_STAGE,
    ...params,
  ];
  if (profiling) env.BERTH_START_PROFILE_FD = '4';
  const spawnedAt = performance.timeOrigin + performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', profiling ? 'pipe' : 'ignore'],
  });
  if (profiling) profile.follow(child.stdio[4] as Readable, 'offline: ');
  // The functions' eventBridge and schedule events become local rules and schedules (local/events/function-rules.ts).
  let functionRules: LocalFunctionRules | undefined;
  readFunctionEventsReport(child.stdio[3] as NodeJS.ReadableStream)
    .then((report) =>
      startFunctionRules({
        report,
        settings,
        invoke: invokeLambda,
        subscribers: localEventSubscribers,
        clock: clockFromEnv(),
        log,
      }),
    )
    .then((rules) => {
      if (stopping) void rules.close();
      else functionRules = rules;
    })
    .catch((err: unknown) =>
      log(`serverless.yml functions' events are not run locally: ${(err as Error)?.message ?? err}`),
    );
  // Schedules and event triggers start once the handlers they invoke are served.
  triggers
    .startWhenServing(`http://${settings.host}:${settings.lambdaPort}/`)
    .catch((err: unknown) => log(`Triggers failed to start: ${(err as Error)?.message ?? err}`))
    .finally(lambdasServing);
  // If this process dies unexpectedly, its API must not outlive it holding the ports.
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // serverless-offline says "Server ready" on stderr; pass both streams through and announce the API once.
  let announced = false;
  const relay = (out: NodeJS.WriteStream) => (chunk: Buffer) => {
    out.write(chunk);
    if (!announced && chunk.toString().includes('Server ready')) {
      announced = true;
      log(`API on http://${settings.host}:${settings.apiPort} (Ctrl-C stops everything)`);
      if (profiling) {
        profile.mark('serverless-offline: spawned to "Server ready"', spawnedAt);
        void firstAnswer(profile, `http://${settings.host}:${settings.apiPort}`).then(
          () => log(`start profile (ms from the launcher's start):\n${profile.render()}`),
          (err: unknown) => log(`start profile: the API did not answer: ${(err as Error)?.message ?? err}`),
        );
      }
    }
  };
  child.stdout?.on('data', relay(process.stdout));
  child.stderr?.on('data', relay(process.stderr));

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
      });
    }
    await functionRules?.close();
    await triggers.close();
    await endpoint.close();
    rmSync(buildDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  child.on('exit', (code, signal) => {
    if (!stopping) log(`serverless-offline exited (${signal ?? code}); stopping`);
    void stop(code ?? 1);
  });
}

/** Calls the API once (a real handler) and marks until its answer as READY_PHASE. */
async function firstAnswer(profile: StartProfile, api: string): Promise<void> {
  await profile.time(READY_PHASE, async () => {
    const res = await fetch(`${api}/task-definitions?limit=1`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /task-definitions answered ${res.status}`);
  });
}

function log(message: string) {
  process.stdout.write(`[berth] ${message}\n`);
}

main().catch((err) => {
  console.error('[berth] failed to start:', err);
  process.exit(1);
});
