/**
 * local/offline-fix/packaging-lazy.mjs: loading serverless-esbuild does not load its packaging modules
 * (@effect/platform-node, bestzip), and packaging still works: zipping through serverless-esbuild's own `zip`
 * loads them then and writes the archive. Real serverless-esbuild, in a child process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const preload = pathToFileURL(path.join(root, 'local/offline-fix/packaging-lazy.mjs')).href;

/** Loads serverless-esbuild, then zips one file with it; prints which packaging modules were loaded when. */
function loadThenZip(dir: string, withPreload: boolean): { afterLoad: string[]; afterZip: string[] } {
  writeFileSync(path.join(dir, 'handler.js'), 'exports.handler = async () => 1;\n');
  const script = `
    const { createRequire } = require('node:module');
    const fromRoot = createRequire(${JSON.stringify(path.join(root, 'package.json'))});
    // Real modules only: a file of the package that ran (the preload's entries are never marked as run).
    const loaded = () => Object.values(require.cache)
      .filter((m) => m.loaded && m.children.length + Object.keys(m.exports ?? {}).length > 0)
      .map((m) => m.filename)
      .filter((f) => /node_modules\\/(@effect\\/platform-node|bestzip)\\//.test(f))
      .map((f) => f.includes('bestzip') ? 'bestzip' : '@effect/platform-node');
    fromRoot('serverless-esbuild');
    const afterLoad = [...new Set(loaded())];
    const { zip } = fromRoot('serverless-esbuild/dist/utils.js');
    zip(${JSON.stringify(path.join(dir, 'out.zip'))}, [{ rootPath: ${JSON.stringify(path.join(dir, 'handler.js'))}, localPath: 'handler.js' }])
      .then(() => console.log(JSON.stringify({ afterLoad, afterZip: [...new Set(loaded())].sort() })));
  `;
  const file = path.join(dir, 'check.cjs');
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [...(withPreload ? ['--import', preload] : []), file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('packaging modules loaded lazily', () => {
  jest.setTimeout(120_000);

  test('not loaded with the plugin; loaded on first use, and the zip is written', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-packaging-lazy-'));
    expect(loadThenZip(dir, true)).toEqual({ afterLoad: [], afterZip: ['@effect/platform-node'] });
    // A zip archive (local file header signature), holding the file.
    const archive = readFileSync(path.join(dir, 'out.zip'));
    expect(archive.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(archive.includes(Buffer.from('handler.js'))).toBe(true);
  });

  test('without the preload the plugin loads them at once (what the preload saves)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-packaging-lazy-'));
    expect(loadThenZip(dir, false).afterLoad.sort()).toEqual(['@effect/platform-node', 'bestzip']);
  });
});
