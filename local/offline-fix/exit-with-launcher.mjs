// `node --import ./local/offline-fix/exit-with-launcher.mjs serverless.js offline start`, as `npm start` runs it.
// The launcher (local/start.ts) holds the write end of this process's stdin and never writes to it: end of input
// means the launcher is gone, even killed with SIGKILL (when it cannot stop this process itself), and the API must
// not outlive it holding its ports. serverless-offline reads nothing from stdin. Preloads also run in the worker
// threads that serve the functions, whose stdin is not the launcher's: they leave it alone.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.stdin.on('end', () => {
    process.stderr.write('[berth] the npm start launcher is gone; serverless-offline stops\n');
    process.exit(1);
  });
  process.stdin.on('error', () => process.exit(1));
  process.stdin.resume();
}
