/**
 * The local endpoint in a process of its own, for tests that kill -9 it: `tsx endpoint-process.ts <stateDir>`
 * prints the endpoint's URL on one line, then serves until it is killed.
 */
import { startAwsEndpoint } from '../../local/endpoint/server';
import { ACCOUNT_ID, REGION } from './endpoint';

const stateDir = process.argv[2];
if (stateDir === undefined) throw new Error('usage: endpoint-process.ts <stateDir>');
startAwsEndpoint({ host: '127.0.0.1', port: 0, region: REGION, accountId: ACCOUNT_ID, stateDir }).then(
  (endpoint) => process.stdout.write(`${endpoint.url}\n`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
