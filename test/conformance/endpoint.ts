/**
 * Starts Berth's local AWS endpoint on a free loopback port with its own state directory, and an
 * unmodified ECS client pointed at it, as a user's code would be.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { type AwsEndpointOptions, startAwsEndpoint } from '../../local/endpoint/server';

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';

export interface LocalEndpoint {
  url: string;
  stateDir: string;
  ecs: ECSClient;
  close(): Promise<void>;
}

export function tempStateDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'berth-conformance-'));
}

export function ecsClient(url: string): ECSClient {
  return new ECSClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1, // a 500 is asserted as it comes, not retried
  });
}

export async function startLocalEndpoint(
  stateDir = tempStateDir(),
  extra: Partial<AwsEndpointOptions> = {},
): Promise<LocalEndpoint> {
  const endpoint = await startAwsEndpoint({
    host: '127.0.0.1',
    port: 0,
    region: REGION,
    accountId: ACCOUNT_ID,
    stateDir,
    ...extra,
  });
  const ecs = ecsClient(endpoint.url);
  return {
    url: endpoint.url,
    stateDir,
    ecs,
    async close() {
      ecs.destroy();
      await endpoint.close();
    },
  };
}

const EXAMPLE = readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8');

/** The example users start from (examples/anjana-educative.json, numbers as strings), with overrides. */
export function example(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...JSON.parse(EXAMPLE), ...overrides };
}

export const arn = (family: string, revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`;
