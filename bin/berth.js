#!/usr/bin/env node
/**
 * The `berth` command (package.json `bin`). In a checkout with its dev dependencies (this
 * repository, `npx berth`) it runs the TypeScript source through tsx, so it is never stale;
 * installed as a dependency it runs the JavaScript `npm run build` compiled into dist/.
 */
const path = require('node:path');

const root = path.join(__dirname, '..');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function load() {
  try {
    require.resolve('tsx/cjs/api', { paths: [root] });
  } catch {
    return require(path.join(root, 'dist', 'client', 'cli.js'));
  }
  const { require: tsxRequire } = require(require.resolve('tsx/cjs/api', { paths: [root] }));
  return tsxRequire(path.join(root, 'client', 'cli.ts'), __filename);
}

const { runCli } = load();
runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`berth: ${err?.stack ?? err}\n`);
    process.exitCode = 3;
  },
);
