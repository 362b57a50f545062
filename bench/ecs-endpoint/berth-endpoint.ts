/**
 * Child process of the ECS endpoint benchmark: Berth's local AWS endpoint on a free loopback port with the
 * state directory given as the first argument, as `npm start` runs it (same server, same services). Prints
 * `{"url": ...}` on one line once it listens; closes cleanly on SIGTERM, so `--cpu-prof` profiles get written.
 */
import { startAwsEndpoint } from '../../local/endpoint/server';

async function main() {
  const stateDir = process.argv[2];
  if (stateDir === undefined) throw new Error('usage: berth-endpoint.ts <stateDir>');
  const endpoint = await startAwsEndpoint({
    host: '127.0.0.1',
    port: 0,
    region: process.env.BERTH_REGION ?? 'us-east-1',
    accountId: process.env.BERTH_ACCOUNT_ID ?? '123456789012',
    stateDir,
  });
  process.on('SIGTERM', () => {
    endpoint.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  process.stdout.write(`${JSON.stringify({ url: endpoint.url })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
