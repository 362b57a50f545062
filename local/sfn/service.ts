/**
 * Berth's local Step Functions: the service the local AWS endpoint serves on the awsJson1_0 protocol with
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, so an unmodified @aws-sdk/client-sfn or
 * `aws stepfunctions --endpoint-url` works against it.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/Welcome.html
 * Executions run with aws-local-stepfunctions (engine.ts); Task states call Lambda through a pluggable
 * invoker and ECS through the endpoint's own URL (so RunTask reaches Berth's local ECS over the wire).
 * State: `<stateDir>/sfn.jsonl` (models.ts). Executions a restart interrupted resume once the endpoint serves
 * and `resumeAfter` (if given) has resolved: `npm start` passes one that resolves when the Lambda port serves.
 *
 * Options (and their environment variables, read when the endpoint starts):
 *   invokeLambda       default: Lambda Invoke against serverless-offline, http://<BERTH_HOST>:<BERTH_LAMBDA_PORT>
 *   timeScale          BERTH_SFN_TIME_SCALE (default 1): multiplies Wait durations and Retry intervals
 *   ecsPollIntervalMs  BERTH_SFN_ECS_POLL_MS (default 250): DescribeTasks interval of ecs:runTask.sync when the
 *                      ECS is another endpoint's (ecsEndpoint); with the endpoint's own ECS, `.sync` ends on its
 *                      task state changes (the STOPPED events it puts on the bus) and polls only every
 *   ecsFallbackPollMs  BERTH_SFN_ECS_FALLBACK_POLL_MS (default 5000), in case an event is missed
 *   ecsEndpoint        default: the endpoint's own URL
 *   finishedInMemory   BERTH_SFN_FINISHED_IN_MEMORY (default 25): how many of the most recently finished executions
 *                      stay in memory in full; older ones are read back from the journal (models.ts)
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ECS_SOURCE, TASK_STATE_CHANGE } from '../ecs/task-events';
import type { ServiceFactory } from '../endpoint/service';
import type { AwsEventChannel } from '../events/aws-events';
import { localSettings } from '../settings';
import { DurableStore } from '../store';
import { stepFunctionsOperations } from './api';
import { type LambdaInvoker, lambdaClientInvoker } from './lambda-invoke';
import { FINISHED_IN_MEMORY, SFN_STORE_OPTIONS, StepFunctions, type StepFunctionsOptions } from './models';

export const SFN_TARGET_PREFIX = 'AWSStepFunctions';

export interface SfnOptions {
  invokeLambda?: LambdaInvoker;
  timeScale?: number;
  ecsPollIntervalMs?: number;
  ecsFallbackPollMs?: number;
  ecsEndpoint?: string;
  finishedInMemory?: number;
  /** How long StopExecution waits for running tasks to be stopped before answering (default 10 s). */
  stopGraceMs?: number;
  /**
   * Resolves when the executions' Task resources can be called (`npm start`: serverless-offline's Lambda port
   * serves); executions a restart interrupted resume then, and once the endpoint serves. Default: the endpoint alone.
   */
  resumeAfter?: Promise<void>;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** The options from the environment, as `npm start` runs them. */
export function sfnOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Required<Omit<SfnOptions, 'ecsEndpoint' | 'resumeAfter'>> {
  const settings = localSettings(env);
  return {
    invokeLambda: lambdaClientInvoker(`http://${settings.host}:${settings.lambdaPort}`, settings.region),
    timeScale: positiveNumber(env, 'BERTH_SFN_TIME_SCALE', 1),
    ecsPollIntervalMs: positiveNumber(env, 'BERTH_SFN_ECS_POLL_MS', 250),
    ecsFallbackPollMs: positiveNumber(env, 'BERTH_SFN_ECS_FALLBACK_POLL_MS', 5000),
    stopGraceMs: 10_000,
    finishedInMemory: Math.floor(positiveNumber(env, 'BERTH_SFN_FINISHED_IN_MEMORY', FINISHED_IN_MEMORY)),
  };
}

/** The task ARNs the endpoint's own ECS reports STOPPED (its ECS Task State Change events, as they are put). */
function taskStops(events: AwsEventChannel): NonNullable<StepFunctionsOptions['ecsTaskStops']> {
  return (listener) =>
    events.listen((event) => {
      if (event.source !== ECS_SOURCE || event.detailType !== TASK_STATE_CHANGE) return;
      if (event.detail.lastStatus === 'STOPPED' && event.resources[0] !== undefined) listener(event.resources[0]);
    });
}

export function sfnService(options: SfnOptions = {}): ServiceFactory {
  return async (context) => {
    const resolved = { ...sfnOptionsFromEnv(), ...options };
    const store = await DurableStore.open<unknown>(context.stateDir, 'sfn', SFN_STORE_OPTIONS);
    let ecs: ECSClient | undefined;
    const ecsClient = async () => {
      const endpoint = options.ecsEndpoint ?? (await context.endpointUrl);
      ecs ??= new ECSClient({
        endpoint,
        region: context.region,
        credentials: { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' },
        maxAttempts: 1, // Step Functions reports ECS errors to the state's Retry; the SDK must not hide them
      });
      return ecs;
    };
    let model: StepFunctions;
    try {
      model = StepFunctions.load(store, {
        region: context.region,
        accountId: context.accountId,
        timeScale: resolved.timeScale,
        invokeLambda: resolved.invokeLambda,
        ecs: ecsClient,
        ecsPollIntervalMs: resolved.ecsPollIntervalMs,
        ecsFallbackPollMs: resolved.ecsFallbackPollMs,
        ...(options.ecsEndpoint === undefined &&
          context.awsEvents !== undefined && { ecsTaskStops: taskStops(context.awsEvents) }),
        stopGraceMs: resolved.stopGraceMs,
        finishedInMemory: resolved.finishedInMemory,
        ...(context.awsEvents !== undefined && { awsEvents: context.awsEvents }),
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    const resumable = model.resumable;
    void Promise.all([context.endpointUrl, options.resumeAfter])
      .then(() => {
        if (resumable > 0)
          console.log(`[berth] Step Functions: resuming ${resumable} execution(s) a restart interrupted`);
        return model.resumeAfterRestart();
      })
      .catch((err) => console.error('[berth] Step Functions: resuming after a restart failed:', err));
    return {
      name: 'Step Functions',
      targetPrefix: SFN_TARGET_PREFIX,
      jsonVersion: '1.0',
      internalErrorCode: 'InternalFailure',
      operations: new Map(Object.entries(stepFunctionsOperations(model))),
      async close() {
        model.close();
        ecs?.destroy();
        await store.close();
      },
    };
  };
}

export const stepFunctionsService: ServiceFactory = sfnService();
