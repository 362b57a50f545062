/**
 * The local AWS side of `npm start`, set up while serverless-offline starts (local/start.ts loads this module
 * once it has spawned serverless-offline, so the two load in parallel). Its steps:
 * 1. read and check the trigger file: an invalid trigger stops the start here, naming it;
 * 2. start the local AWS endpoint (ECS, Step Functions, EventBridge, DynamoDB, CloudWatch Logs) on the port the
 *    launcher already gave serverless-offline;
 * 3. say whether ECS tasks can run their images in Docker;
 * 4. create or update the run-task state machine, the run log group and the runs table.
 * serverless-offline opens its ports only after these (local/offline-fix/launcher-ready.mjs).
 */
import { queuesTable } from '../deploy/queues';
import { runsTable } from '../deploy/runs-table';
import { commaList } from '../lib/env';
import { loadStageQueues } from '../lib/queues/file';
import { ensureLocalTables } from './dynamodb/tables';
import { probeDocker } from './ecs/runtime/runtime';
import { type AwsEndpoint, startAwsEndpoint } from './endpoint/server';
import { DEFAULT_SERVICES } from './endpoint/services';
import { type LocalFunctionRules, readFunctionEventsReport, startFunctionRules } from './events/function-rules';
import { localEventSubscribers } from './events/subscribers';
import { ensureLocalRunLogGroup } from './run-logs';
import { type LocalSettings, localStageParam } from './settings';
import { type LambdaInvoker, lambdaClientInvoker } from './sfn/lambda-invoke';
import { sfnService, stepFunctionsService } from './sfn/service';
import type { StartProfile } from './start-profile';
import { type LocalTriggers, openLocalTriggers } from './triggers';
import { clockFromEnv } from './triggers/clock';
import { ensureLocalWorkflows } from './workflows';

export interface LocalAwsOptions {
  settings: LocalSettings;
  /** The endpoint's port (settings.awsPort, or the free one the launcher picked for 0). */
  awsPort: number;
  stage: string;
  serverlessYml: string;
  /** Executions a restart interrupted resume once this settles (their Lambda tasks can then be called). */
  resumeAfter: Promise<void>;
  profile: StartProfile;
  log: (message: string) => void;
}

export interface LocalAws {
  endpoint: AwsEndpoint;
  triggers: LocalTriggers;
  invokeLambda: LambdaInvoker;
}

export async function setUpLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const { settings, stage, serverlessYml, profile, log } = options;
  const invokeLambda = lambdaClientInvoker(`http://${settings.host}:${settings.lambdaPort}`, settings.region);
  // The queue file, validated as `serverless package` validates it: an invalid queue stops here, naming it.
  const queues = await profile.time('launcher: queue file read and checked', async () =>
    loadStageQueues(process.cwd()),
  );
  log(
    `Queues: ${queues.map((q) => `${q.name} (${q.maxConcurrentRuns === undefined ? 'no limit' : `limit ${q.maxConcurrentRuns}`})`).join(', ')}`,
  );
  // Schedules and event triggers (local/triggers/): an invalid trigger file stops here, naming the trigger.
  const triggers = await profile.time('launcher: trigger file read and checked', () =>
    openLocalTriggers({
      settings,
      stage,
      invoke: invokeLambda,
      // A trigger for a family the stage does not run could never start a run: refused here, as at package time.
      runFamilies: commaList(localStageParam(serverlessYml, process.env, 'runFamilies') ?? '*'),
    }),
  );
  let endpoint: AwsEndpoint | undefined;
  try {
    endpoint = await profile.time('launcher: AWS endpoint listening', () =>
      startAwsEndpoint({
        host: settings.host,
        port: options.awsPort,
        region: settings.region,
        accountId: settings.accountId,
        stateDir: settings.stateDir,
        // Step Functions' Lambda tasks run the real handlers, through serverless-offline's Lambda port.
        services: DEFAULT_SERVICES.map((service) =>
          service === stepFunctionsService ? sfnService({ invokeLambda, resumeAfter: options.resumeAfter }) : service,
        ),
      }),
    );
    const endpointUrl = endpoint.url;
    log(
      `AWS endpoint (ECS, Step Functions, EventBridge, DynamoDB, CloudWatch Logs) on ${endpointUrl}, state in ${settings.stateDir}`,
    );
    // Said once: whether ECS tasks can run their images (BERTH_ECS_RUNTIME, local/ecs/runtime/runtime.ts).
    const docker = await profile.time('launcher: Docker probe', probeDocker);
    log(
      docker.ok
        ? `ECS containers run in ${docker.version} when their image is present or can be pulled`
        : `ECS containers run as host processes or are simulated: ${docker.why}`,
    );
    const runTask = await profile.time('launcher: run-task state machine', () =>
      ensureLocalWorkflows({ endpointUrl, region: settings.region, accountId: settings.accountId, stage }),
    );
    log(`Run-task state machine ${runTask.action}: ${runTask.stateMachineArn}`);
    const runLogGroup = await profile.time('launcher: run log group', () =>
      ensureLocalRunLogGroup({
        endpointUrl,
        region: settings.region,
        stage,
        retentionInDays: Number(localStageParam(serverlessYml, process.env, 'runLogRetentionDays') ?? 30),
      }),
    );
    log(`Run log group ${runLogGroup}`);
    // The runs and queues tables, from the resources serverless.yml deploys (deploy/runs-table.js, deploy/queues.js),
    // with the local stage's names.
    const service = /^service:\s*(\S+)/m.exec(serverlessYml)?.[1] ?? 'berth';
    const tables = await profile.time('launcher: DynamoDB tables', () =>
      ensureLocalTables(
        { endpointUrl, region: settings.region },
        { RunsTable: runsTable({ service, stage }), QueuesTable: queuesTable({ service, stage }) },
      ),
    );
    for (const table of tables) {
      log(`Table ${table.tableName} ${table.action}${table.changes.length > 0 ? `: ${table.changes.join('; ')}` : ''}`);
    }
    return { endpoint, triggers, invokeLambda };
  } catch (err) {
    await triggers.close();
    await endpoint?.close();
    throw err;
  }
}

/** The functions' eventBridge and schedule events as serverless-offline reports them, run as local rules. */
export async function serveFunctionEvents(
  report: NodeJS.ReadableStream,
  options: { settings: LocalSettings; invokeLambda: LambdaInvoker; log: (message: string) => void },
): Promise<LocalFunctionRules> {
  return startFunctionRules({
    report: await readFunctionEventsReport(report),
    settings: options.settings,
    invoke: options.invokeLambda,
    subscribers: localEventSubscribers,
    clock: clockFromEnv(),
    log: options.log,
  });
}
