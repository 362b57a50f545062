/** Task definition bodies and validation helpers the task-definition unit tests share. */
import {
  type TaskDefinitionInput,
  type Violation,
  validateTaskDefinition,
} from '../../../lib/task-definition/validate';

export type Body = Record<string, unknown>;

export const container = (fields: Body = {}): Body => ({ name: 'app', image: 'nginx', memory: 256, ...fields });

/** An EC2 task definition that passes every rule: each case changes one thing (`undefined` removes a field). */
export const ec2 = (fields: Body = {}, containers: Body[] = [container()]): Body => ({
  family: 'web',
  containerDefinitions: containers,
  ...fields,
});

export const v = (path: string, message: string): Violation => ({ path, message });

export function violationsOf(body: unknown): Violation[] {
  const result = validateTaskDefinition(body);
  return result.ok ? [] : result.violations;
}

export function normalised(body: unknown): TaskDefinitionInput {
  const result = validateTaskDefinition(body);
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.violations)}`);
  return result.value;
}
