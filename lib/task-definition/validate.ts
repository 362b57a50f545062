/**
 * Contract for task definition validation (filled in by lib/task-definition/*).
 * A violation names the JSONPath of the offending value and the rule, in ECS's words where ECS has them.
 */
import { fallbackMessage, toViolations } from './issues';
import { checkRules } from './rules';
import { type TaskDefinitionInput, TaskDefinitionInputSchema } from './schema';
import { viewOf } from './view';

export { type ContainerDefinitionInput, type TaskDefinitionInput, TaskDefinitionInputSchema } from './schema';

export interface Violation {
  /** JSONPath of the offending value, e.g. `$.containerDefinitions[0].memory`; `$` for the whole body. */
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; violations: Violation[] };

/**
 * Checks a RegisterTaskDefinition body against ECS's rules and normalises it (digit strings to integers,
 * task cpu/memory units to ECS's strings). Every violation is reported at once:
 * 1. the schema reports each malformed or unknown field;
 * 2. the cross-field rules run on what could be read, whatever else failed.
 */
export function validateTaskDefinition(input: unknown): ValidationResult<TaskDefinitionInput> {
  const parsed = TaskDefinitionInputSchema.safeParse(input, { error: fallbackMessage });
  const view = viewOf(input);
  const violations = [...(parsed.success ? [] : toViolations(parsed.error.issues)), ...(view ? checkRules(view) : [])];
  if (!parsed.success || violations.length > 0) return { ok: false, violations };
  return { ok: true, value: parsed.data };
}
