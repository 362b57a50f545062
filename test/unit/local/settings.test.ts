import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_LAMBDA_IDLE_SECONDS,
  localSettings,
  localStageParam,
  paramsFromEnvironment,
} from '../../../local/settings';

const serverlessYml = readFileSync(path.join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8');

describe('paramsFromEnvironment', () => {
  it("turns the BERTH_* variables serverless.yml fills from params into --param values, the launcher's own left out", () => {
    const env = {
      BERTH_MAX_TASK_CPU: '1024',
      BERTH_RUN_FAMILIES: 'team-*',
      BERTH_ALLOWED_IMAGES: '',
      BERTH_SUBNETS: 'subnet-9',
      BERTH_RUN_STATE_MACHINE_ARN: 'arn:x',
      BERTH_API_PORT: '3100',
      PATH: '/bin',
    };
    expect(paramsFromEnvironment(serverlessYml, env, ['runTaskStateMachineArn', 'subnets']).sort()).toEqual([
      'allowedImages= ',
      'maxTaskCpu=1024',
      'runFamilies=team-*',
    ]);
  });

  it('covers every guardrail docs/configuration.md documents', () => {
    const env = Object.fromEntries(
      [
        'BERTH_ALLOWED_ROLE_ARNS',
        'BERTH_ALLOWED_IMAGES',
        'BERTH_ALLOW_PRIVILEGED',
        'BERTH_ALLOW_HOST_NETWORK',
        'BERTH_MAX_TASK_CPU',
        'BERTH_MAX_TASK_MEMORY',
        'BERTH_RUN_FAMILIES',
      ].map((name) => [name, 'x']),
    );
    expect(paramsFromEnvironment(serverlessYml, env)).toHaveLength(7);
  });

  it('reads only values that are a param reference, nothing else', () => {
    const ref = (what: string) => `$${'{'}${what}}`; // serverless's variable syntax, built to keep it out of templates
    const yml = `provider:\n  environment:\n    BERTH_A: ${ref('param:a')}\n    BERTH_B: fixed\n    BERTH_C: ${ref('self:custom.c')}\n`;
    expect(paramsFromEnvironment(yml, { BERTH_A: '1', BERTH_B: '2', BERTH_C: '3' })).toEqual(['a=1']);
  });
});

describe('localStageParam', () => {
  it("is the environment's value when set, else serverless.yml's default", () => {
    expect(localStageParam(serverlessYml, {}, 'runFamilies')).toBe('*');
    expect(localStageParam(serverlessYml, { BERTH_RUN_FAMILIES: 'team-*' }, 'runFamilies')).toBe('team-*');
    expect(localStageParam(serverlessYml, { BERTH_RUN_FAMILIES: '' }, 'runFamilies')).toBe('');
    expect(localStageParam(serverlessYml, {}, 'noSuchParam')).toBeUndefined();
  });
});

describe('localSettings: BERTH_LAMBDA_IDLE_SECONDS', () => {
  it("keeps an idle Lambda worker 10 minutes unless set, not serverless-offline's 60 s", () => {
    expect(DEFAULT_LAMBDA_IDLE_SECONDS).toBe(600);
    expect(localSettings({}).lambdaIdleSeconds).toBe(600);
    expect(localSettings({ BERTH_LAMBDA_IDLE_SECONDS: '30' }).lambdaIdleSeconds).toBe(30);
  });

  it.each(['0', '-5', '1.5', 'ten', '86401'])('refuses %p, naming the variable and the rule', (raw) => {
    expect(() => localSettings({ BERTH_LAMBDA_IDLE_SECONDS: raw })).toThrow(
      `BERTH_LAMBDA_IDLE_SECONDS must be a whole number from 1 to 86400, got "${raw}"`,
    );
  });
});
