/**
 * Summarises a V8 CPU profile (`--cpu-prof`, e.g. from `npm run bench:ecs-endpoint -- --profile <dir>`): where
 * the busy time went, idle excluded. Prints self time by file and by function, then inclusive time of the
 * repository's own functions (a sample counts once for each distinct function on its stack), which says what an
 * operation costs end to end: validation, the model, the journal, the HTTP layer.
 *
 *   npx tsx bench/ecs-endpoint/profile.ts <file.cpuprofile> [--requests N] (per-request figures when given)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (file === undefined) throw new Error('usage: profile.ts <file.cpuprofile> [--requests N] [--top N]');
const requests = values.requests === undefined ? undefined : Number(values.requests);
const top = Number(values.top);

const root = path.resolve(__dirname, '..', '..');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function where(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('file://')) return path.relative(root, new URL(url).pathname);
  return url;
}
const own = (url: string) => url.startsWith('file://') && !url.includes('node_modules/');
const label = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  // Line numbers of the repository's files are tsx's output, not the source: the file name says enough.
  return `${functionName || '(anonymous)'} ${where(url)}${url && !own(url) ? `:${lineNumber + 1}` : ''}`;
};

const selfByNode = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

let busy = 0;
const byFile = new Map<string, number>();
const byFunction = new Map<string, number>();
const inclusive = new Map<string, number>();
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
for (const [id, micros] of selfByNode) {
  const node = byId.get(id)!;
  if (node.callFrame.functionName === '(idle)') continue;
  busy += micros;
  add(byFile, where(node.callFrame.url) || node.callFrame.functionName, micros);
  add(byFunction, label(node), micros);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)!;
    if (!own(frame.callFrame.url)) continue;
    const key = label(frame);
    if (seen.has(key)) continue;
    seen.add(key);
    add(inclusive, key, micros);
  }
}

function print(title: string, m: Map<string, number>) {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const perRequest = requests === undefined ? '' : `${(v / requests).toFixed(0).padStart(7)} µs/req`;
    console.log(
      `${(v / 1000).toFixed(0).padStart(8)} ms ${((100 * v) / busy).toFixed(1).padStart(5)}% ${perRequest}  ${k}`,
    );
  }
}
console.log(
  `${file}: busy ${(busy / 1000).toFixed(0)} ms${requests === undefined ? '' : `, ${(busy / requests).toFixed(0)} µs per request over ${requests}`}`,
);
print('self time by file', byFile);
print('self time by function', byFunction);
print("inclusive time of the repository's functions", inclusive);
