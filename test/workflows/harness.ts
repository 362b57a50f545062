/**
 * The run-task workflow on Berth's local engine, in this process: the local AWS endpoint (ECS, its
 * BerthLocal admin service, Step Functions) on a free loopback port with its own state directory and
 * cluster, Step Functions' Lambda tasks calling the real handlers of functions/ in process (the
 * handlers reach ECS through AWS_ENDPOINT_URL, as under npm start), and time scaled down so
 * waits and retry intervals do not really sleep.
 *
 * The runs table is on the endpoint's DynamoDB, created from deploy/runs-table.js as `npm start` creates it.
 * `start` writes the run's PENDING record as POST /runs does; `settle` delivers the execution's end to
 * functions/record-run-event.ts as the EventBridge rule does (this endpoint has no rules to deliver it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queuesTable, queuesTableName } from '../../deploy/queues';
import { runsTable } from '../../deploy/runs-table';
import { DEFAULT_QUEUE } from '../../lib/queues/names';
import { executionQueue } from '../../lib/queues/run-queue';
import type { RunRecord } from '../../lib/runs/record';
import { newRecord } from '../../lib/runs/record-updates';
import { createRecord, getRecord, type RunStore } from '../../lib/runs/run-store';
import type { ExecutionInput } from '../../lib/runs/types';
import { runView } from '../../lib/runs/view';
import { dynamodbService } from '../../local/dynamodb/service';
import { ensureLocalTables } from '../../local/dynamodb/tables';
import { parseClusterConfig } from '../../local/ecs/cluster-config';
import { localEcsServices } from '../../local/ecs/service';
import { startAwsEndpoint } from '../../local/endpoint/server';
import { eventsService } from '../../local/events/service';
import {
  type InProcessHandler,
  inProcessInvoker,
  type LambdaInvoker,
  LambdaServiceError,
  parseFunctionName,
} from '../../local/sfn/lambda-invoke';
import { sfnService } from '../../local/sfn/service';
import { localRunTaskDefinition, runTaskStateMachineName } from '../../local/workflows';
import { RUN_TASK_FUNCTIONS } from '../../workflows/definitions';

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';
const STAGE = 'test';

export interface InstanceShape {
  count?: number;
  cpu?: number;
  memory?: number;
}

/**
 * How Lambda answers an invoke that failed outside the handler's code, as the lambda:invoke integration sees it:
 * a timeout (Lambda's Unhandled error `Sandbox.Timedout`), an end with no error type (out of memory, an old
 * runtime's timeout: Step Functions says `Lambda.Unknown`), or the Lambda service failing the invoke.
 */
export type InvokeFailure =
  | 'Sandbox.Timedout'
  | 'Lambda.Unknown'
  | 'Lambda.ServiceException'
  | 'Lambda.TooManyRequestsException';

export interface Stack {
  ecs: ECSClient;
  sfn: SFNClient;
  stateMachineArn: string;
  /** BerthLocal admin operations (PutFaults, AddContainerInstance, StopHost, ...). */
  admin(operation: string, input?: Record<string, unknown>): Promise<Record<string, unknown>>;
  register(input: RegisterTaskDefinitionCommandInput): Promise<string>;
  start(input: ExecutionInput): Promise<string>;
  /** Polls until the execution leaves RUNNING (the test's own timeout bounds it). */
  finished(executionArn: string): Promise<DescribeExecutionOutput>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /**
   * The next invokes of `functionKey` (serverless.yml's key: checkCapacity, decideRetry) fail, in order, as
   * given; replaces what was pending (`[]` clears it).
   */
  failInvokes(functionKey: string, failures: InvokeFailure[]): void;
  /** The run's record as it stands. */
  record(runId: string): Promise<RunRecord | undefined>;
  /** Delivers the execution's Execution Status Change to the record writer (once it has ended), then reads the record. */
  settle(executionArn: string): Promise<RunRecord | undefined>;
  close(): Promise<void>;
}

/** deploy/runs-table.js runsTableName for this stage. */
const RUNS_TABLE = 'berth-test-runs';

export async function startStack(instances: InstanceShape[], timeScale = 0.001): Promise<Stack> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'berth-workflows-'));
  const clusterConfig = parseClusterConfig({
    clusters: [{ name: 'default', instances: instances.map((i) => ({ count: 1, ...i })) }],
  });
  const [ecsService, adminService] = localEcsServices({ clusterConfig, stepMs: 1, simulateSeconds: 0.02 });

  // The real handlers, loaded once the endpoint's URL is known (their ECS client reads AWS_ENDPOINT_URL).
  const handlers: Record<string, InProcessHandler> = {};
  const inProcess = inProcessInvoker(handlers, { region: REGION, accountId: ACCOUNT_ID });
  const pendingFailures = new Map<string, InvokeFailure[]>();
  const invoke: LambdaInvoker = async (invocation) => {
    const failure = pendingFailures.get(parseFunctionName(invocation.functionName).name)?.shift();
    if (failure === undefined) return inProcess(invocation);
    const base = { statusCode: 200, executedVersion: '$LATEST', requestId: `injected-${failure}` };
    switch (failure) {
      case 'Sandbox.Timedout':
        return {
          ...base,
          functionError: 'Unhandled',
          payload: JSON.stringify({
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${base.requestId} Error: Task timed out after 10.00 seconds`,
          }),
        };
      case 'Lambda.Unknown':
        return {
          ...base,
          functionError: 'Unhandled',
          payload: JSON.stringify({
            errorMessage: `RequestId: ${base.requestId} Process exited before completing request`,
          }),
        };
      default:
        throw new LambdaServiceError(failure.slice('Lambda.'.length), `${failure} (injected)`);
    }
  };
  const endpoint = await startAwsEndpoint({
    host: '127.0.0.1',
    port: 0,
    region: REGION,
    accountId: ACCOUNT_ID,
    stateDir,
    services: [
      ecsService,
      adminService,
      sfnService({ invokeLambda: invoke, timeScale, ecsPollIntervalMs: 5, stopGraceMs: 2000 }),
      dynamodbService,
      // The record's writer puts the run event when a run ends.
      eventsService,
    ],
  });
  await ensureLocalTables(
    { endpointUrl: endpoint.url, region: REGION },
    {
      RunsTable: runsTable({ service: 'berth', stage: STAGE }),
      QueuesTable: queuesTable({ service: 'berth', stage: STAGE }),
    },
  );
  process.env.AWS_ENDPOINT_URL = endpoint.url;
  process.env.BERTH_RUNS_TABLE = RUNS_TABLE;
  process.env.BERTH_QUEUES_TABLE = queuesTableName('berth', STAGE);
  process.env.BERTH_RUN_STATE_MACHINE_ARN ??= `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:${runTaskStateMachineName(STAGE)}`;
  for (const [, fn] of Object.entries(RUN_TASK_FUNCTIONS)) {
    const file = fn.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    handlers[`berth-${STAGE}-${fn}`] = require(`../../functions/${file}`).handler;
  }
  const recordRunEvent = require('../../functions/record-run-event').handler;
  const store: RunStore = {
    ddb: DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: endpoint.url,
        region: REGION,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    ),
    config: { tableName: RUNS_TABLE, retentionDays: 400 },
  };

  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const ecs = new ECSClient({ endpoint: endpoint.url, region: REGION, credentials });
  const sfn = new SFNClient({ endpoint: endpoint.url, region: REGION, credentials });
  const created = await sfn.send(
    new CreateStateMachineCommand({
      name: runTaskStateMachineName(STAGE),
      definition: localRunTaskDefinition({ stage: STAGE, region: REGION, accountId: ACCOUNT_ID }),
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/run-task`,
    }),
  );
  const stateMachineArn = created.stateMachineArn!;

  return {
    ecs,
    sfn,
    stateMachineArn,
    async admin(operation, input = {}) {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: { 'X-Amz-Target': `BerthLocal.${operation}`, 'Content-Type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(input),
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`BerthLocal.${operation}: ${JSON.stringify(body)}`);
      return body;
    },
    async register(input) {
      const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
      return out.taskDefinition!.taskDefinitionArn!;
    },
    async start(input) {
      // As POST /runs: the PENDING record first, then the execution.
      await createRecord(
        store,
        newRecord({
          runId: input.runId,
          family: /task-definition\/([^:]+)/.exec(input.taskDefinitionArn)?.[1] ?? input.taskDefinitionArn,
          taskDefinitionArn: input.taskDefinitionArn,
          cluster: input.runTask.Cluster,
          trigger: input.trigger ?? { type: 'api' },
          request: {},
          executionInput: input as unknown as Record<string, unknown>,
          createdAt: new Date(input.submittedAt),
          retentionDays: 400,
          ...(input.queue !== undefined && {
            queue: { name: input.queue.name, priority: input.queue.priority, enqueuedAt: input.queue.enqueuedAt },
          }),
        }),
      );
      const out = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: input.runId, input: JSON.stringify(input) }),
      );
      return out.executionArn!;
    },
    async finished(executionArn) {
      for (;;) {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (out.status !== 'RUNNING') return out;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async history(executionArn) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    },
    record: (runId) => getRecord(store, runId),
    async settle(executionArn) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') {
        await recordRunEvent(
          {
            version: '0',
            id: `settle-${execution.name}`,
            'detail-type': 'Step Functions Execution Status Change',
            source: 'aws.states',
            time: (execution.stopDate ?? new Date()).toISOString(),
            detail: {
              executionArn,
              stateMachineArn,
              name: execution.name,
              status: execution.status,
              stopDate: execution.stopDate?.getTime(),
            },
          },
          { awsRequestId: 'settle', functionName: 'recordRunEvent' },
        );
      }
      return getRecord(store, execution.name!);
    },
    failInvokes(functionKey, failures) {
      const name = `berth-${STAGE}-${functionKey}`;
      pendingFailures.set(name, [...failures]);
    },
    async close() {
      ecs.destroy();
      sfn.destroy();
      await endpoint.close();
      store.ddb.destroy();
      delete process.env.AWS_ENDPOINT_URL;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

let runs = 0;

/** An ExecutionInput as POST /runs would build it (lib/runs/request.ts), with the run's own parts. */
export function executionInput(
  taskDefinitionArn: string,
  extra: Partial<Omit<ExecutionInput, 'runTask'>> & { runTask?: Partial<ExecutionInput['runTask']> } = {},
): ExecutionInput {
  const { runTask, ...rest } = extra;
  runs += 1;
  const submitted = new Date();
  return {
    runId: `run-${process.pid}-${runs}`,
    submittedAt: submitted.toISOString(),
    queue: executionQueue({ name: DEFAULT_QUEUE }, {}, submitted),
    trigger: { type: 'api' },
    taskDefinitionArn,
    runTask: { Cluster: 'default', TaskDefinition: taskDefinitionArn, Count: 1, LaunchType: 'EC2', ...runTask },
    retry: { attempts: 1, backoffSeconds: 1, backoffRate: 2, evaluateOnExit: [] },
    capacity: { waitSeconds: 5, checkIntervalSeconds: 1 },
    ...rest,
  };
}

/** The run as GET /runs/{id} shows it. */
export async function viewOf(stack: Stack, executionArn: string) {
  const execution = await stack.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return runView(execution, await stack.history(executionArn));
}

/** The states a run that enters its queue (not admitted by POST /runs) goes through before its first check. */
export const ENTERS_QUEUE = ['Admitted At Start', 'Enter Queue'];

/** The states entered, in order: the path the execution took. */
export function path_(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}
