import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileEventPattern, matchesEventPattern } from '../../../lib/events/pattern';
import { EXECUTION_STATUS_CHANGE, runEventsPattern } from '../../../lib/events/run-events-rule';
import { loadTriggerFile } from '../../../lib/triggers/file';

describe('loadTriggerFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-triggers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads the triggers of a valid file', () => {
    const file = write(
      'ok.yml',
      'triggers:\n  nightly:\n    schedule: { expression: rate(1 day) }\n    run: { taskDefinition: report }\n',
    );
    expect(loadTriggerFile(file)).toMatchObject([{ type: 'schedule', name: 'nightly', expression: 'rate(1 day)' }]);
  });

  it('names a missing file', () => {
    const file = path.join(dir, 'absent.yml');
    expect(() => loadTriggerFile(file)).toThrow(`Trigger file ${file}: not found`);
  });

  it('lists the problems of an invalid file, naming the trigger', () => {
    const file = write('bad.yml', 'triggers:\n  nightly:\n    schedule: { expression: rate(0 days) }\n');
    expect(() => loadTriggerFile(file)).toThrow(new RegExp(`^Trigger file ${file} is not valid:\\n.*nightly`));
  });

  it("refuses an enabled trigger for a family outside the stage's runFamilies", () => {
    const file = write(
      'family.yml',
      'triggers:\n  nightly:\n    schedule: { expression: rate(1 day) }\n    run: { taskDefinition: report }\n',
    );
    expect(() => loadTriggerFile(file, { runFamilies: ['team-*'] })).toThrow('is not valid');
  });
});

describe('runEventsPattern', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:berth-dev-run-task';
  const event = (status: string, stateMachineArn = arn) => ({
    source: 'aws.states',
    'detail-type': EXECUTION_STATUS_CHANGE,
    detail: { stateMachineArn, status },
  });
  const pattern = compileEventPattern(runEventsPattern(arn));

  it.each(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'])('matches an execution that ended %s', (status) => {
    expect(matchesEventPattern(pattern, event(status))).toBe(true);
  });

  it('skips a running execution and other state machines', () => {
    expect(matchesEventPattern(pattern, event('RUNNING'))).toBe(false);
    expect(matchesEventPattern(pattern, event('FAILED', `${arn}-other`))).toBe(false);
  });

  it('carries an intrinsic ARN as it is, for CloudFormation', () => {
    const sub = { 'Fn::GetAtt': ['RunTaskStateMachine', 'Arn'] };
    expect(runEventsPattern(sub).detail.stateMachineArn).toEqual([sub]);
  });
});
