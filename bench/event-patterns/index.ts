/**
 * The cost of matching an event against EventBridge patterns (lib/events/pattern.ts), against a baseline measured
 * in the same run: JSON.parse of the event's Detail, which PutEvents pays for every entry anyway. Prints, per
 * case, nanoseconds per event and the ratio to the baseline. The patterns use every operator (exact, prefix,
 * suffix, ignore-case, wildcard, anything-but, numeric, cidr, exists, $or) over a nested event with an array of
 * objects; "100 rules" is one event against 100 patterns, as PutEvents matches an event against every rule.
 * Each match result is checked against its expected value, so nothing is measured on a broken matcher.
 *
 *   npm run bench:event-patterns -- [--iterations 20000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { compileEventPattern, type EventPattern, matchesEventPattern } from '../../lib/events/pattern';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } },
});
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);

const detail = {
  runId: 'r-0123456789',
  status: 'FAILED',
  cluster: 'default',
  attempts: [
    { taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/default/a', exitCode: 1, reason: 'Essential container exited' },
    { taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/default/b', exitCode: 0, reason: 'Essential container exited' },
  ],
  capacity: { fits: true, shortfall: { cpu: 0, memory: 0 } },
  sourceIp: '10.0.3.7',
  object: { key: 'uploads/2024/report.csv', size: 18234 },
};
const detailText = JSON.stringify(detail);
const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Run Failed',
  source: 'berth',
  account: '123456789012',
  time: '2024-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:ecs:us-east-1:123456789012:task/default/a'],
  detail,
};

const patterns: Array<[unknown, boolean]> = [
  [{ source: ['berth'], 'detail-type': ['Run Failed', 'Run Timed Out'] }, true],
  [{ detail: { object: { key: [{ prefix: 'uploads/' }], size: [{ numeric: ['>', 0, '<=', 1e6] }] } } }, true],
  [{ detail: { object: { key: [{ wildcard: 'uploads/*/*.csv' }] } } }, true],
  [{ detail: { attempts: { exitCode: [{ 'anything-but': 0 }], reason: [{ suffix: 'exited' }] } } }, true],
  [{ detail: { sourceIp: [{ cidr: '10.0.0.0/16' }], status: [{ 'equals-ignore-case': 'failed' }] } }, true],
  [{ detail: { error: [{ exists: false }], $or: [{ cluster: ['prod'] }, { status: ['FAILED'] }] } }, true],
  [{ detail: { attempts: { exitCode: [0], reason: ['Timeout'] } } }, false],
  [{ source: [{ 'anything-but': { prefix: 'ber' } }] }, false],
];
const compiled: Array<[EventPattern, boolean]> = patterns.map(([p, expected]) => [compileEventPattern(p), expected]);
const hundred = Array.from({ length: 100 }, (_, i) => compiled[i % compiled.length]!);

function check(list: Array<[EventPattern, boolean]>) {
  for (const [pattern, expected] of list) {
    if (matchesEventPattern(pattern, event) !== expected) throw new Error('matcher gave a wrong answer');
  }
}
check(compiled);

let sink = 0;
const cases: Record<string, () => void> = {
  'baseline: JSON.parse(Detail)': () => {
    sink += (JSON.parse(detailText) as { attempts: unknown[] }).attempts.length;
  },
  '1 rule (source, detail-type)': () => {
    if (matchesEventPattern(compiled[0]![0], event)) sink++;
  },
  '8 rules (every operator)': () => {
    for (const [pattern] of compiled) if (matchesEventPattern(pattern, event)) sink++;
  },
  '100 rules': () => {
    for (const [pattern] of hundred) if (matchesEventPattern(pattern, event)) sink++;
  },
  'compile 8 patterns': () => {
    for (const [pattern] of patterns) sink += compileEventPattern(pattern).root.fields.length;
  },
};

function measure(run: () => void): number {
  for (let i = 0; i < iterations / 10; i++) run(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  return Number(process.hrtime.bigint() - start) / iterations;
}

// Rounds interleave the cases so the machine's changing load hits all alike; each cell is its median round.
const samples = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(cases)) samples.get(name)!.push(measure(run));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline = median(samples.get('baseline: JSON.parse(Detail)')!);
console.log(`${iterations} iterations x ${rounds} rounds (median round)`);
console.log('case'.padEnd(32), 'ns/event'.padStart(10), 'x baseline'.padStart(12));
for (const [name, xs] of samples) {
  const ns = median(xs);
  console.log(name.padEnd(32), ns.toFixed(0).padStart(10), (ns / baseline).toFixed(2).padStart(12));
}
if (sink < 0) console.log(sink);
