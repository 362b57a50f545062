/**
 * What the workflow Lambdas check of the state the state machine hands them. The execution input
 * was validated by POST /runs; this catches a state machine and a Lambda out of step (an edited
 * ASL, a stale deployment) with a message naming the member, instead of a TypeError later.
 * Objects are loose: the Lambdas return the state with their own part replaced, so members they
 * do not read must pass through untouched.
 */
import * as z from 'zod/mini';
import type { WorkflowState } from './workflow';

const positiveInt = z.number().check(z.int(), z.gte(1));
const nonNegative = z.number().check(z.gte(0));

export const WorkflowStateSchema = z.looseObject({
  runId: z.string().check(z.minLength(1)),
  taskDefinitionArn: z.string().check(z.minLength(1)),
  runTask: z.looseObject({
    Cluster: z.string().check(z.minLength(1)),
    TaskDefinition: z.string().check(z.minLength(1)),
    Count: positiveInt,
  }),
  retry: z.looseObject({
    attempts: positiveInt,
    backoffSeconds: nonNegative,
    backoffRate: nonNegative,
    evaluateOnExit: z.array(z.looseObject({ action: z.enum(['RETRY', 'EXIT']) })),
  }),
  timeoutSeconds: z.optional(positiveInt),
  capacity: z.looseObject({ waitSeconds: nonNegative, checkIntervalSeconds: nonNegative }),
  check: z.optional(z.looseObject({ attempt: positiveInt, waitedSeconds: nonNegative, checks: positiveInt })),
  failure: z.optional(z.looseObject({ Error: z.string(), Cause: z.optional(z.string()) })),
});

export class WorkflowStateError extends Error {
  override readonly name = 'WorkflowStateError';
}

export function parseWorkflowState(event: unknown): WorkflowState {
  const parsed = WorkflowStateSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new WorkflowStateError(`The workflow state is not what this function expects: ${issues}`);
  }
  return parsed.data as unknown as WorkflowState;
}
