/**
 * local/offline-fix/bundle-cache.mjs: a bundle is served from the cache, byte for byte what esbuild wrote, while
 * nothing it was built from changed; an edited input, an edited file a plugin watches, or an edited tsconfig.json
 * builds it again; builds it does not apply to go straight to esbuild. Real esbuild, in a temporary project.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const preload = pathToFileURL(path.join(root, 'local/offline-fix/bundle-cache.mjs')).href;
const esbuildPath = require.resolve('esbuild');

function project(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bundle-cache-'));
  mkdirSync(path.join(dir, 'functions'));
  writeFileSync(
    path.join(dir, 'functions', 'entry.ts'),
    "import { dep } from './dep';\nimport { data } from './gen';\nexport const handler = () => dep + data;\n",
  );
  writeFileSync(path.join(dir, 'functions', 'dep.ts'), "export const dep: string = 'dep-one';\n");
  writeFileSync(path.join(dir, 'functions', 'gen.ts'), '// replaced by the plugin\n');
  writeFileSync(path.join(dir, 'data.txt'), 'data-one');
  writeFileSync(path.join(dir, 'tsconfig.json'), '{}');
  return dir;
}

/** Runs the scenario in `dir`; prints what esbuild was really asked and what each step got. */
function scenario(dir: string): Record<string, unknown> {
  const script = `
    import { createRequire } from 'node:module';
    import { readFileSync, writeFileSync } from 'node:fs';
    import path from 'node:path';
    import { cachedEsbuild } from ${JSON.stringify(preload)};
    const require = createRequire(import.meta.url);
    const esbuild = require(${JSON.stringify(esbuildPath)});
    const real = { builds: 0, contexts: 0, rebuilds: 0 };
    const spy = {
      ...esbuild,
      build: (o) => { real.builds++; return esbuild.build(o); },
      context: async (o) => {
        real.contexts++;
        const context = await esbuild.context(o);
        return { ...context, rebuild: () => { real.rebuilds++; return context.rebuild(); }, dispose: () => context.dispose() };
      },
    };
    const gen = {
      name: 'gen',
      setup(build) {
        build.onLoad({ filter: /gen\\.ts$/ }, () => ({
          contents: 'export const data = ' + JSON.stringify(readFileSync('data.txt', 'utf8')) + ';',
          loader: 'ts',
          watchFiles: [path.resolve('data.txt')],
        }));
      },
    };
    const cached = cachedEsbuild(spy, {
      cacheDir: path.resolve('cache'),
      applies: (o) => typeof o.outdir === 'string' && o.outdir.startsWith('build/'),
    });
    const options = (n) => ({
      entryPoints: ['functions/entry.ts'], bundle: true, platform: 'node', format: 'cjs', sourcemap: true,
      logLevel: 'silent', plugins: [gen], outdir: 'build/' + n + '/functions',
    });
    const out = (n) => readFileSync('build/' + n + '/functions/entry.js', 'utf8');
    const map = (n) => readFileSync('build/' + n + '/functions/entry.js.map', 'utf8');
    const steps = {};
    await cached.build(options(1));
    steps.first = { ...real };
    await cached.build(options(2));
    steps.again = { ...real, same: out(2) === out(1) && map(2) === map(1) };
    writeFileSync('functions/dep.ts', "export const dep: string = 'dep-two';\\n");
    await cached.build(options(3));
    steps.inputEdited = { ...real, rebuilt: out(3).includes('dep-two') };
    writeFileSync('data.txt', 'data-two');
    await cached.build(options(4));
    steps.watchedEdited = { ...real, rebuilt: out(4).includes('data-two') };
    writeFileSync('tsconfig.json', '{"compilerOptions":{}}');
    await cached.build(options(5));
    steps.tsconfigEdited = { ...real };
    const context = await cached.context(options(6));
    await context.rebuild();
    steps.contextHit = { ...real, same: out(6) === out(5) };
    writeFileSync('functions/dep.ts', "export const dep: string = 'dep-three';\\n");
    await context.rebuild();
    steps.contextEdited = { ...real, rebuilt: out(6).includes('dep-three') };
    await context.dispose();
    const result = await cached.build({ ...options(7), write: false });
    steps.notWritten = { ...real, files: result.outputFiles.length };
    await cached.build({ ...options(8), outdir: 'elsewhere/functions' });
    steps.notApplied = { ...real };
    console.log(JSON.stringify(steps));
  `;
  const file = path.join(dir, 'check.mjs');
  writeFileSync(file, script);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 }));
}

describe('bundle cache preload', () => {
  it('serves unchanged bundles from the cache and builds again whatever changed', () => {
    expect(scenario(project())).toEqual({
      first: { builds: 1, contexts: 0, rebuilds: 0 },
      again: { builds: 1, contexts: 0, rebuilds: 0, same: true },
      inputEdited: { builds: 2, contexts: 0, rebuilds: 0, rebuilt: true },
      watchedEdited: { builds: 3, contexts: 0, rebuilds: 0, rebuilt: true },
      tsconfigEdited: { builds: 4, contexts: 0, rebuilds: 0 },
      contextHit: { builds: 4, contexts: 0, rebuilds: 0, same: true },
      contextEdited: { builds: 4, contexts: 1, rebuilds: 1, rebuilt: true },
      notWritten: { builds: 5, contexts: 1, rebuilds: 1, files: 2 },
      notApplied: { builds: 6, contexts: 1, rebuilds: 1 },
    });
  });
});
