/**
 * Berth's own guardrails, on top of ECS's rules: what a stage lets teams register.
 * Each violation names its rule (the stage setting that decides it), so a 403 says what to change.
 */
import type { Guardrails } from './config';
import { matchesAny } from './glob';
import type { Violation } from './task-definition/validate';

export type PolicyViolation = Violation & { rule: string };

/** The parts of a validated task definition the guardrails look at. */
export interface GuardedTaskDefinition {
  family?: string | undefined;
  taskRoleArn?: string | undefined;
  executionRoleArn?: string | undefined;
  networkMode?: string | undefined;
  cpu?: string | undefined;
  memory?: string | undefined;
  containerDefinitions: ReadonlyArray<{
    image?: string | undefined;
    privileged?: boolean | undefined;
    cpu?: number | undefined;
    memory?: number | undefined;
    memoryReservation?: number | undefined;
  }>;
}

export function checkGuardrails(td: GuardedTaskDefinition, rules: Guardrails): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  if (td.family !== undefined && !matchesAny(td.family, rules.runFamilies)) {
    out.push({
      rule: 'runFamilies',
      path: '$.family',
      message:
        rules.runFamilies.length === 0
          ? 'This stage registers and runs no task definition family; ask for the family to be added to runFamilies.'
          : `Family ${td.family} is not in this stage's runFamilies (${rules.runFamilies.join(', ')}).`,
    });
  }
  for (const field of ['taskRoleArn', 'executionRoleArn'] as const) {
    const arn = td[field];
    if (arn !== undefined && !matchesAny(arn, rules.allowedRoleArns)) {
      out.push({
        rule: 'allowedRoleArns',
        path: `$.${field}`,
        message:
          rules.allowedRoleArns.length === 0
            ? `This stage allows no ${field}; ask for the role to be added to allowedRoleArns.`
            : `Role ${arn} is not in this stage's allowedRoleArns.`,
      });
    }
  }
  if (td.networkMode === 'host' && !rules.allowHostNetwork) {
    out.push({
      rule: 'allowHostNetwork',
      path: '$.networkMode',
      message: "Network mode 'host' is not allowed on this stage.",
    });
  }
  td.containerDefinitions.forEach((c, i) => {
    if (c.privileged === true && !rules.allowPrivileged) {
      out.push({
        rule: 'allowPrivileged',
        path: `$.containerDefinitions[${i}].privileged`,
        message: 'Privileged containers are not allowed on this stage.',
      });
    }
    if (c.image !== undefined && !matchesAny(c.image, rules.allowedImages)) {
      out.push({
        rule: 'allowedImages',
        path: `$.containerDefinitions[${i}].image`,
        message: `Image ${c.image} does not match this stage's allowedImages (${rules.allowedImages.join(', ')}).`,
      });
    }
  });
  const sum = (pick: (c: GuardedTaskDefinition['containerDefinitions'][number]) => number | undefined) =>
    td.containerDefinitions.reduce((total, c) => total + (pick(c) ?? 0), 0);
  const cpu = td.cpu !== undefined ? Number(td.cpu) : sum((c) => c.cpu);
  if (cpu > rules.maxTaskCpu) {
    out.push({
      rule: 'maxTaskCpu',
      path: td.cpu !== undefined ? '$.cpu' : '$.containerDefinitions',
      message: `The task asks for ${cpu} CPU units; this stage allows at most ${rules.maxTaskCpu}.`,
    });
  }
  const memory = td.memory !== undefined ? Number(td.memory) : sum((c) => c.memory ?? c.memoryReservation);
  if (memory > rules.maxTaskMemory) {
    out.push({
      rule: 'maxTaskMemory',
      path: td.memory !== undefined ? '$.memory' : '$.containerDefinitions',
      message: `The task asks for ${memory} MiB of memory; this stage allows at most ${rules.maxTaskMemory}.`,
    });
  }
  return out;
}
