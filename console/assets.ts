/**
 * The console's files (index.html, app.js, style.css), built by esbuild from console/: the bundle in memory for
 * `npm start` (always the current source) or, for an installed `berth console`, the copy `npm run build` wrote to
 * dist/console-page. Nothing is loaded from another host: the page is these three files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface Asset {
  type: string;
  body: Buffer;
}

/** The first page's JavaScript, gzip-compressed, may not exceed this (checked by the build). */
export const JS_BUDGET_BYTES = 150 * 1024;

const here = __dirname;
// From source: console/ under the package; compiled (npm run build): dist/console/ under it.
const root = existsSync(path.join(here, '..', 'package.json')) ? path.join(here, '..') : path.join(here, '..', '..');
const DIST = path.join(root, 'dist', 'console-page');
const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Bundles the console with esbuild (a dev dependency: present wherever the source is). `dir` is console/ (given by
 * callers that load this module where `__dirname` is not a path, such as tsx's tsImport).
 */
export async function buildConsole(dir = here): Promise<Map<string, Asset>> {
  // Required when needed: an installed copy reads dist/console-page and has no esbuild.
  const esbuild = createRequire(path.join(dir, 'assets.ts'))('esbuild') as typeof import('esbuild');
  const out = await esbuild.build({
    entryPoints: [path.join(dir, 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = out.outputFiles[0];
  if (js === undefined) throw new Error('esbuild wrote no bundle');
  return new Map([
    ['index.html', { type: TYPES['index.html']!, body: readFileSync(path.join(dir, 'index.html')) }],
    ['app.js', { type: TYPES['app.js']!, body: Buffer.from(js.contents) }],
    ['style.css', { type: TYPES['style.css']!, body: readFileSync(path.join(dir, 'style.css')) }],
  ]);
}

/** dist/console-page when this is an installed copy without the source, else a fresh build. */
export async function consoleAssets(): Promise<Map<string, Asset>> {
  if (!existsSync(path.join(here, 'src', 'main.ts')) && existsSync(path.join(DIST, 'index.html'))) {
    return new Map(
      Object.entries(TYPES).map(([name, type]) => [name, { type, body: readFileSync(path.join(DIST, name)) }]),
    );
  }
  return buildConsole();
}

export const gzippedSize = (body: Buffer) => gzipSync(body, { level: 9 }).byteLength;

/** `npm run build`: writes dist/console-page and fails over the JavaScript budget. */
export async function writeConsole(budgetBytes = JS_BUDGET_BYTES): Promise<string> {
  const assets = await buildConsole();
  const js = assets.get('app.js')!.body;
  const size = gzippedSize(js);
  const summary = `console: app.js ${js.byteLength} bytes, ${size} bytes gzip (budget ${budgetBytes})`;
  if (size > budgetBytes) throw new Error(`${summary}: over budget`);
  await mkdir(DIST, { recursive: true });
  for (const [name, asset] of assets) await writeFile(path.join(DIST, name), asset.body);
  return summary;
}
