/** `npm run build` step: the console into dist/console-page, failing over its JavaScript budget (console/assets.ts). */
import { writeConsole } from './assets';

writeConsole().then(console.log, (err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
