import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
