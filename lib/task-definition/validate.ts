/**
 * Contract for task definition validation (filled in by lib/task-definition/*).
 * A violation names the JSONPath of the offending value and the rule, in ECS's words where ECS has them.
 */
export interface Violation {
  /** JSONPath of the offending value, e.g. `$.containerDefinitions[0].memory`; `$` for the whole body. */
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; violations: Violation[] };
