/**
 * The `.waitForTaskToken` pattern ("Wait for a Callback with Task Token") of any integration whose plain driver
 * Berth has: `arn:aws:states:::lambda:invoke.waitForTaskToken` is the `lambda:invoke` driver wrapped here.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 * - The task's token (`$$.Task.Token`, execution.ts) is registered (task-tokens.ts) before the resource is called,
 *   so a callback that comes while the call is still under way (a function invoked RequestResponse that calls
 *   SendTaskSuccess itself) is not lost.
 * - The resource is called as its plain integration calls it (a Lambda function with InvocationType Event too);
 *   its error fails the state as the plain integration's does. Its response is the TaskSubmitted event's output.
 * - The state's result is the output JSON of SendTaskSuccess; SendTaskFailure fails it with the error and cause
 *   given; no heartbeat within HeartbeatSeconds fails it with States.HeartbeatTimeout. Whether the Parameters
 *   carry the token at all is not checked, as AWS does not check it.
 * - When the state ends any other way (its timeout, StopExecution, the execution's end), the token is closed, so
 *   a late callback answers TaskTimedOut. When the endpoint shuts down the token stays open: the resumed state
 *   waits on it again without calling the resource again once it was submitted (TaskTokenRecord.submitted).
 */
import { json } from './history';
import { EngineShutdown, type TaskDriver } from './task-driver';
import type { TaskTokens } from './task-tokens';

export const WAIT_FOR_TASK_TOKEN = 'waitForTaskToken';

export function waitForTaskTokenDriver(inner: TaskDriver, tokens: TaskTokens): TaskDriver {
  const resource = `${inner.resource}.${WAIT_FOR_TASK_TOKEN}`;
  return {
    resourceType: inner.resourceType,
    resource,
    async run(input, context) {
      const token = context.taskToken;
      const record = tokens.get(token) ?? (await tokens.open(token, context.executionArn, context.stateName));
      try {
        if (!record.submitted && record.status === 'OPEN') {
          const response = await inner.run(input, context);
          await tokens.submitted(token);
          await context.emit({
            type: 'TaskSubmitted',
            details: {
              resourceType: inner.resourceType,
              resource,
              output: json(response),
              outputDetails: { truncated: false },
            },
          });
        }
        return await tokens.outcome(token, context.signal, context.heartbeatSeconds);
      } finally {
        if (!(context.signal.reason instanceof EngineShutdown)) tokens.close(token);
      }
    },
  };
}
