import type { Guardrails } from '../../lib/config';
import { loadConfig } from '../../lib/config';
import { checkGuardrails, type GuardedTaskDefinition } from '../../lib/guardrails';

const rules: Guardrails = {
  allowedRoleArns: ['arn:aws:iam::123456789012:role/berth-*'],
  allowedImages: ['123456789012.dkr.ecr.*.amazonaws.com/*', 'public.ecr.aws/docker/library/*'],
  allowPrivileged: false,
  allowHostNetwork: false,
  maxTaskCpu: 2048,
  maxTaskMemory: 4096,
  runFamilies: ['team-a-*', 'nightly'],
};
const image = 'public.ecr.aws/docker/library/busybox:1.36';
const base: GuardedTaskDefinition = {
  family: 'team-a-report',
  containerDefinitions: [{ image, cpu: 256, memory: 512 }],
};

describe('checkGuardrails', () => {
  it('accepts a definition inside every rule', () => {
    expect(checkGuardrails(base, rules)).toEqual([]);
  });

  it.each<[string, GuardedTaskDefinition, string, string]>([
    [
      'a task role outside the allowlist',
      { ...base, taskRoleArn: 'arn:aws:iam::123456789012:role/admin' },
      'allowedRoleArns',
      '$.taskRoleArn',
    ],
    [
      'an execution role outside the allowlist',
      { ...base, executionRoleArn: 'arn:aws:iam::999999999999:role/berth-x' },
      'allowedRoleArns',
      '$.executionRoleArn',
    ],
    ['a family outside runFamilies', { ...base, family: 'team-b-report' }, 'runFamilies', '$.family'],
    ['a family that only starts like an allowed one', { ...base, family: 'nightly-2' }, 'runFamilies', '$.family'],
    ['host network mode', { ...base, networkMode: 'host' }, 'allowHostNetwork', '$.networkMode'],
    [
      'a privileged container',
      { containerDefinitions: [{ image, privileged: true }] },
      'allowPrivileged',
      '$.containerDefinitions[0].privileged',
    ],
    [
      'an image from another registry',
      { containerDefinitions: [{ image: 'docker.io/library/busybox' }] },
      'allowedImages',
      '$.containerDefinitions[0].image',
    ],
    ['task cpu above the maximum', { ...base, cpu: '4096' }, 'maxTaskCpu', '$.cpu'],
    [
      'summed container cpu above the maximum',
      {
        containerDefinitions: [
          { image, cpu: 1500 },
          { image, cpu: 1000 },
        ],
      },
      'maxTaskCpu',
      '$.containerDefinitions',
    ],
    ['task memory above the maximum', { ...base, memory: '8192' }, 'maxTaskMemory', '$.memory'],
    [
      'summed memoryReservation above the maximum',
      {
        containerDefinitions: [
          { image, memoryReservation: 3000 },
          { image, memory: 2000 },
        ],
      },
      'maxTaskMemory',
      '$.containerDefinitions',
    ],
  ])('refuses %s', (_name, td, rule, path) => {
    expect(checkGuardrails(td, rules)).toEqual([expect.objectContaining({ rule, path })]);
  });

  it('accepts an allowlisted role and refuses every role when the allowlist is empty', () => {
    const td = { ...base, taskRoleArn: 'arn:aws:iam::123456789012:role/berth-jobs' };
    expect(checkGuardrails(td, rules)).toEqual([]);
    expect(checkGuardrails(td, { ...rules, allowedRoleArns: [] })).toEqual([
      {
        rule: 'allowedRoleArns',
        path: '$.taskRoleArn',
        message: 'This stage allows no taskRoleArn; ask for the role to be added to allowedRoleArns.',
      },
    ]);
  });

  it('names the setting when the stage runs no family at all', () => {
    expect(checkGuardrails(base, { ...rules, runFamilies: [] })).toEqual([
      {
        rule: 'runFamilies',
        path: '$.family',
        message:
          'This stage registers and runs no task definition family; ask for the family to be added to runFamilies.',
      },
    ]);
    expect(checkGuardrails({ ...base, family: 'nightly' }, rules)).toEqual([]);
  });

  it('lets a stage allow host networking and privileged containers', () => {
    const td = { networkMode: 'host', containerDefinitions: [{ image, privileged: true }] };
    expect(checkGuardrails(td, { ...rules, allowHostNetwork: true, allowPrivileged: true })).toEqual([]);
  });
});

describe('loadConfig', () => {
  it('defaults to no roles, any image, nothing privileged, no host network', () => {
    expect(loadConfig({}).guardrails).toEqual({
      allowedRoleArns: [],
      allowedImages: ['*'],
      allowPrivileged: false,
      allowHostNetwork: false,
      maxTaskCpu: 4096,
      maxTaskMemory: 30720,
      runFamilies: ['*'],
    });
  });

  it('reads comma-separated lists and flags', () => {
    const config = loadConfig({
      BERTH_ALLOWED_ROLE_ARNS: 'arn:a, arn:b',
      BERTH_ALLOWED_IMAGES: '',
      BERTH_ALLOW_PRIVILEGED: 'true',
      BERTH_MAX_TASK_CPU: '1024',
      BERTH_RUN_FAMILIES: 'team-a-*, nightly',
    });
    expect(config.guardrails).toMatchObject({
      allowedRoleArns: ['arn:a', 'arn:b'],
      allowedImages: [],
      allowPrivileged: true,
      maxTaskCpu: 1024,
      runFamilies: ['team-a-*', 'nightly'],
    });
  });

  it.each([
    ['BERTH_ALLOW_PRIVILEGED', 'yes', 'BERTH_ALLOW_PRIVILEGED must be true or false, got "yes"'],
    ['BERTH_MAX_TASK_MEMORY', '1.5', 'BERTH_MAX_TASK_MEMORY must be a positive integer, got "1.5"'],
  ])('fails fast on %s=%s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
