/**
 * `npm start`: the whole stack on this machine.
 * 1. Spawn serverless-offline serving the real handlers, pointed at Berth's local AWS endpoint through
 *    AWS_ENDPOINT_URL (its port chosen first), with dummy credentials so nothing can reach a real account.
 * 2. Meanwhile, in this process, set up the local AWS side (local/start-setup.ts: the trigger file's checks, the
 *    endpoint, the run-task state machine, the run log group, the runs table); only then may serverless-offline
 *    open its API and Lambda ports (local/offline-fix/launcher-ready.mjs), so no request sees a stack half set up.
 *    The two start in parallel: serverless-offline's start (the Framework, the bundles) is the longer one.
 * 3. On Ctrl-C (or SIGTERM) stop the child, then close the endpoint; if the child dies, stop too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { LocalFunctionRules } from './events/function-rules';
import { localSettings, paramsFromEnvironment } from './settings';
import { localRunLogsRoleArn, runTaskStateMachineName } from './stack-names';
import { profileRequested, READY_PHASE, StartProfile } from './start-profile';
import type * as StartSetup from './start-setup';
import type { LocalAws } from './start-setup';
import { isAlive } from './store';

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

/** `port`, or when it is 0 a port that was free a moment ago (serverless-offline must be told it before it listens). */
async function concretePort(host: string, port: number): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
  });
}

async function main() {
  // `npm start -- --profile`: what the start spends, printed once the API answers (local/start-profile.ts).
  const profile = new StartProfile();
  const profiling = profileRequested(process.argv.slice(2), process.env);
  profile.mark('launcher: Node, tsx and its modules', profile.origin);
  const settings = localSettings();
  const buildDir = claimBuildDir();
  const serverlessYml = readFileSync(path.join(process.cwd(), 'serverless.yml'), 'utf8');
  const awsPort = await concretePort(settings.host, settings.awsPort);
  const endpointUrl = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${awsPort}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpointUrl,
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
    // Bundles are kept there and served again while their inputs are unchanged (offline-fix/bundle-cache.mjs).
    BERTH_BUNDLE_CACHE_DIR: settings.bundleCacheDir,
    // A serverless.yml the Framework's schema check found valid is not checked again while it and the schema are
    // unchanged (offline-fix/schema-check-cache.mjs).
    BERTH_SCHEMA_CHECK_CACHE_DIR: path.resolve(process.env.BERTH_SCHEMA_CHECK_CACHE_DIR || '.berth/cache/schema-check'),
    // The child reports its functions' resolved eventBridge/schedule events on fd 3 (offline-fix/function-events.mjs).
    BERTH_FUNCTION_EVENTS_FD: '3',
    // It opens its ports once this process says the AWS side is set up (offline-fix/launcher-ready.mjs).
    BERTH_WAIT_FOR_LAUNCHER: '1',
    ...(profiling && { BERTH_START_PROFILE_FD: '4' }),
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
  const preload = (name: string) => path.join(__dirname, 'offline-fix', name);
  const preloads = {
    // The hooks fix serverless-offline's handling of a timed-out worker (see local/offline-fix/hooks.mjs).
    offlineFix: preload('register.mjs'),
    // It exits when its stdin ends, that is when this process is gone, however it died (see the module).
    exitWithLauncher: preload('exit-with-launcher.mjs'),
    // Its ports open once this process has set up the AWS side (see the module).
    launcherReady: preload('launcher-ready.mjs'),
    // tsx's require hook for the TypeScript the next preloads and deploy/*.js load, cached across starts (see the module).
    tsxRequire: preload('tsx-require.mjs'),
    // No web page may drive its API or Lambda port: Host and Origin checks (local/endpoint/browser-guard.ts).
    browserGuard: preload('browser-guard.mjs'),
    // The console page at /console on the API's own origin (see the module).
    consolePage: preload('console.mjs'),
    // At most BERTH_LAMBDA_WORKERS workers per function, so a burst queues instead of timing out (see the module).
    lambdaPool: preload('lambda-pool.mjs'),
    // The functions' eventBridge and schedule events, as the Framework resolved them, for local rules (see the module).
    functionEvents: preload('function-events.mjs'),
    // Bundles served from .berth/cache/bundles while their inputs are unchanged (see the module).
    bundleCache: preload('bundle-cache.mjs'),
    // serverless-esbuild's packaging modules (zip, spawn) loaded on first use, which `offline start` never makes.
    packagingLazy: preload('packaging-lazy.mjs'),
  };
  // The schema check's verdict kept for an unchanged configuration and schema (see the module): imported first,
  // before anything loads the Framework's classes (the profile and ./offline-fix/function-events.mjs do).
  const schemaCheckCache = pathToFileURL(preload('schema-check-cache.mjs')).href;
  // Profiled, serverless-offline's process marks its steps (see the module), after each preload too.
  const startProfile = pathToFileURL(preload('start-profile.mjs')).href;
  // BERTH_CPU_PROFILE_DIR=dir: V8 CPU profiles of serverless-offline's process and each Lambda worker, written
  // when they exit (bench/runs/README.md reads them); the launcher gets the same from whoever starts it.
  const cpuProfileDir = process.env.BERTH_CPU_PROFILE_DIR;
  const args = [
    ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : []),
    '--import',
    schemaCheckCache,
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
    // An idle worker stays warm this long (local/settings.ts lambdaIdleSeconds), not serverless-offline's 60 s.
    '--terminateIdleLambdaTime',
    String(settings.lambdaIdleSeconds),
    ...params,
  ];
  const spawnedAt = performance.timeOrigin + performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', profiling ? 'pipe' : 'ignore'],
  });
  if (profiling) profile.follow(child.stdio[4] as Readable, 'offline: ');
  // Writing `ready` to a child that already died fails with EPIPE; its exit is handled below.
  child.stdin?.on('error', () => {});
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
  let aws: LocalAws | undefined;
  let functionRules: LocalFunctionRules | undefined;
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
    await aws?.triggers.close();
    await aws?.endpoint.close();
    rmSync(buildDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  child.on('exit', (code, signal) => {
    if (!stopping) log(`serverless-offline exited (${signal ?? code}); stopping`);
    void stop(code ?? 1);
  });

  // The AWS side, loaded and set up while serverless-offline starts.
  let lambdasServing!: () => void;
  const resumeAfter = new Promise<void>((resolve) => {
    lambdasServing = resolve;
  });
  // A require, not a static import: serverless-offline is already starting while this process loads the AWS side.
  const setup = await profile.time(
    'launcher: AWS side loaded (local/start-setup.ts)',
    async () => require('./start-setup') as typeof StartSetup,
  );
  try {
    aws = await setup.setUpLocalAws({
      settings,
      awsPort,
      stage: LOCAL_STAGE,
      serverlessYml,
      resumeAfter,
      profile,
      log,
    });
  } catch (err) {
    console.error('[berth] failed to start:', err);
    await stop(1);
    return;
  }
  if (stopping || aws === undefined) return;
  // serverless-offline may now open its ports.
  child.stdin?.write('ready\n');
  profile.mark('launcher: spawn to "ready" sent (AWS side set up)', spawnedAt);
  const { invokeLambda, triggers } = aws;
  // The functions' eventBridge and schedule events become local rules and schedules (local/events/function-rules.ts).
  setup
    .serveFunctionEvents(child.stdio[3] as NodeJS.ReadableStream, { settings, invokeLambda, log })
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
