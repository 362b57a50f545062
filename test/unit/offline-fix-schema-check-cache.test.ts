/**
 * local/offline-fix/schema-check-cache.mjs: the Framework's serverless.yml schema check is skipped only for a
 * configuration already found valid against the same schema. The real Framework (`serverless print`, which runs
 * the same check as `serverless offline start`) in a temporary service: a changed configuration is checked again,
 * an invalid property still fails with the Framework's message at every start, and what the schema leaves free
 * (members of `custom` it does not name, such as the launcher's per-start bundle directory) does not change the key.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const preload = pathToFileURL(path.join(root, 'local/offline-fix/schema-check-cache.mjs')).href;
const serverlessBin = path.join(path.dirname(require.resolve('serverless/package.json')), 'bin', 'serverless.js');

const VALID = `service: schema-check-test
frameworkVersion: '3'
configValidationMode: error
provider:
  name: aws
  runtime: nodejs20.x
  memorySize: 256
custom:
  buildDir: \${env:TEST_BUILD_DIR, 'none'}
functions:
  hello:
    handler: handler.hello
`;

interface Run {
  status: number | null;
  output: string;
}

function service(): { dir: string; cacheDir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-schema-check-'));
  return { dir, cacheDir: path.join(dir, '.cache') };
}

/** `serverless print` in `dir` with the preload; `env` adds to the environment. */
function print(dir: string, cacheDir: string, yml: string, env: Record<string, string> = {}): Run {
  writeFileSync(path.join(dir, 'serverless.yml'), yml);
  const result = spawnSync(process.execPath, ['--import', preload, serverlessBin, 'print'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, BERTH_SCHEMA_CHECK_CACHE_DIR: cacheDir, SLS_TELEMETRY_DISABLED: '1', ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const verdicts = (cacheDir: string): string[] => {
  try {
    return JSON.parse(readFileSync(path.join(cacheDir, 'valid.json'), 'utf8'));
  } catch {
    return [];
  }
};

// The Framework's validator cache somewhere it cannot be read or written: a start that runs ajv fails there,
// one that reuses a verdict does not.
const NO_VALIDATOR = { SLS_SCHEMA_CACHE_BASE_DIR: '/dev/null/no-validator' };

describe('schema check cache preload', () => {
  jest.setTimeout(240_000);

  test('reuses a valid verdict only for the same configuration and schema', () => {
    const { dir, cacheDir } = service();

    const first = print(dir, cacheDir, VALID, { TEST_BUILD_DIR: '.berth/build/100' });
    expect(first).toMatchObject({ status: 0 });
    expect(verdicts(cacheDir)).toHaveLength(1);

    // Same configuration but for a member of `custom` no schema names: the verdict is reused, ajv never runs.
    const again = print(dir, cacheDir, VALID, { TEST_BUILD_DIR: '.berth/build/200', ...NO_VALIDATOR });
    expect(again).toMatchObject({ status: 0 });
    expect(verdicts(cacheDir)).toHaveLength(1);

    // A changed, still valid, configuration is checked by ajv (which cannot run here: the start fails)...
    const changed = VALID.replace('memorySize: 256', 'memorySize: 512');
    expect(print(dir, cacheDir, changed, NO_VALIDATOR).status).not.toBe(0);
    // ...and, where it can run, passes and is remembered beside the first.
    expect(print(dir, cacheDir, changed)).toMatchObject({ status: 0 });
    expect(verdicts(cacheDir)).toHaveLength(2);
  });

  test('an invalid property fails the start with the Framework message every time, and is never remembered', () => {
    const { dir, cacheDir } = service();
    expect(print(dir, cacheDir, VALID)).toMatchObject({ status: 0 });
    const invalid = VALID.replace('  memorySize: 256\n', '  memorySize: 256\n  runtimee: nodejs20.x\n');
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = print(dir, cacheDir, invalid);
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/Configuration error at 'provider': unrecognized property 'runtimee'/);
    }
    expect(verdicts(cacheDir)).toHaveLength(1);
  });

  test('a check that coerced the configuration is not remembered', () => {
    const { dir, cacheDir } = service();
    // ajv's coerceTypes turns the string into the number the schema asks for: the check changed the configuration.
    const coerced = VALID.replace('memorySize: 256', "memorySize: '256'");
    expect(print(dir, cacheDir, coerced)).toMatchObject({ status: 0 });
    expect(verdicts(cacheDir)).toHaveLength(0);
  });
});
