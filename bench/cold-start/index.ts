/**
 * Cold start and bundle size of each Lambda function, next to a bare middy handler measured in
 * the same run. Each function is bundled as serverless.yml's custom.esbuild bundles it; a cold
 * start is a fresh Node process that loads the bundle and serves one request needing no AWS call.
 * Targets (issue 2): each bundle at most 600 KB minified; cold start at most 2.5x the bare handler.
 *
 *   npm run bench:cold-start [-- --runs 21]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(__dirname, '..', '..');
// custom.esbuild.plugins in serverless.yml.
const esbuildPlugins = require(path.join(root, 'deploy', 'esbuild-plugins.js')) as Plugin[];
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 21;
const env = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // The /runs functions read it at cold start (lib/runs/config.ts).
  BERTH_RUN_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:berth-bench-run-task',
};

const example = JSON.parse(
  require('node:fs').readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8'),
) as { containerDefinitions: object[] };
const event = (over: object) => ({ headers: {}, requestContext: { requestId: 'bench' }, path: '/', ...over });

/** One request per function that is answered without an AWS call (validation or guardrails refuse it). */
const targets: Array<{ name: string; entry: string; event: object }> = [
  { name: 'bare middy handler', entry: 'bench/cold-start/bare-handler.ts', event: event({}) },
  {
    name: 'registerTaskDefinition',
    entry: 'functions/register-task-definition.ts',
    event: event({
      httpMethod: 'POST',
      headers: { 'content-type': 'application/json' },
      // Valid for ECS, refused by the privileged-container guardrail: validation and guardrails both run.
      body: JSON.stringify({
        ...example,
        containerDefinitions: [{ ...example.containerDefinitions[0], privileged: true }],
      }),
    }),
  },
  {
    name: 'listTaskDefinitions',
    entry: 'functions/list-task-definitions.ts',
    event: event({ queryStringParameters: { limit: '0' } }),
  },
  {
    name: 'getTaskDefinition',
    entry: 'functions/get-task-definition.ts',
    event: event({ pathParameters: { family: 'anjana-educative', revision: 'x' } }),
  },
  {
    name: 'deregisterTaskDefinition',
    entry: 'functions/deregister-task-definition.ts',
    event: event({ httpMethod: 'DELETE', pathParameters: { family: 'anjana-educative', revision: '0' } }),
  },
  {
    name: 'startRun',
    entry: 'functions/start-run.ts',
    event: event({
      httpMethod: 'POST',
      headers: { 'content-type': 'application/json' },
      // Every field checked, one violation: the schema and the cross-field rules both run.
      body: JSON.stringify({
        taskDefinition: 'anjana-educative:1',
        count: 11,
        overrides: { containerOverrides: [{ name: 'anjana', command: ['sh', '-c', 'exit 3'] }] },
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
        retry: { attempts: 3, evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }] },
        capacity: { waitSeconds: 5 },
      }),
    }),
  },
  { name: 'listRuns', entry: 'functions/list-runs.ts', event: event({ queryStringParameters: { limit: '0' } }) },
  { name: 'getRun', entry: 'functions/get-run.ts', event: event({ pathParameters: { runId: 'not:a-run' } }) },
  {
    name: 'cancelRun',
    entry: 'functions/cancel-run.ts',
    event: event({ httpMethod: 'POST', pathParameters: { runId: 'not:a-run' } }),
  },
  // Serves the whole document: generated at build time, so this is a JSON literal and the middy stack.
  { name: 'getOpenApi', entry: 'functions/get-openapi.ts', event: event({ path: '/openapi.json' }) },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  const out = mkdtempSync(path.join(os.tmpdir(), 'berth-cold-start-'));
  const rows = [];
  for (const t of targets) {
    const outfile = path.join(out, `${t.name.replace(/\W+/g, '-')}.js`);
    // Same options as custom.esbuild in serverless.yml.
    await build({
      entryPoints: [path.join(root, t.entry)],
      bundle: true,
      minify: true,
      sourcemap: true,
      target: 'node22',
      platform: 'node',
      format: 'cjs',
      mainFields: ['module', 'main'],
      plugins: esbuildPlugins,
      outfile,
      logLevel: 'error',
    });
    rows.push({ ...t, outfile, bytes: statSync(outfile).size, wall: [] as number[], load: [] as number[], status: 0 });
  }
  // Interleave the targets so drift in machine load hits all of them alike.
  for (let i = 0; i < runs; i++) {
    for (const r of rows) {
      const start = process.hrtime.bigint();
      const stdout = execFileSync(
        process.execPath,
        ['--no-warnings', path.join(__dirname, 'runner.js'), r.outfile, JSON.stringify(r.event)],
        { env },
      );
      const wall = Number(process.hrtime.bigint() - start) / 1e6;
      const m = JSON.parse(stdout.toString()) as { importMs: number; invokeMs: number; statusCode: number };
      r.wall.push(wall);
      r.load.push(m.importMs + m.invokeMs);
      r.status = m.statusCode;
    }
  }
  rmSync(out, { recursive: true, force: true });
  const base = rows[0]!;
  const baseWall = median(base.wall);
  const baseLoad = median(base.load);
  console.log(`cold start, median of ${runs} fresh Node ${process.version} processes per bundle`);
  console.log('bundle                    size KB  status  process ms  ratio  load+1st request ms  ratio');
  let ok = true;
  for (const r of rows) {
    const wall = median(r.wall);
    const load = median(r.load);
    const kb = r.bytes / 1000;
    const ratio = wall / baseWall;
    if (r !== base && (kb > 600 || ratio > 2.5)) ok = false;
    console.log(
      `${r.name.padEnd(25)} ${kb.toFixed(1).padStart(7)}  ${String(r.status).padStart(6)}  ${wall.toFixed(1).padStart(10)}  ${ratio.toFixed(2).padStart(5)}  ${load.toFixed(1).padStart(19)}  ${(load / baseLoad).toFixed(2).padStart(5)}`,
    );
  }
  console.log(ok ? 'targets met: every bundle <= 600 KB, every cold start <= 2.5x the bare handler' : 'TARGET MISSED');
  if (!ok) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
