/**
 * Starts Berth's local AWS endpoint on a free loopback port with its own state directory, and an
 * unmodified ECS client pointed at it, as a user's code would be (or in a process of its own, to kill -9).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
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

/** An SFN client for the local endpoint: any credentials, and no retries, so an error is asserted as it comes. */
export function sfnClient(url: string): SFNClient {
  return new SFNClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
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

export interface EndpointProcess {
  url: string;
  child: ChildProcessByStdio<null, Readable, null>;
  /** Settles when the process exits, however it ends. */
  exited: Promise<unknown>;
}

/**
 * The endpoint in a process of its own (endpoint-process.ts) on `stateDir`, for tests that kill -9 it; `env` is
 * added to this process's environment. Resolves once it prints its URL, rejects if it exits before.
 */
export async function startEndpointProcess(stateDir: string, env: NodeJS.ProcessEnv = {}): Promise<EndpointProcess> {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a child process SIGKILL would not reach.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'endpoint-process.ts'), stateDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the endpoint exited (${code}) before it started`)));
  });
  return { url, child, exited };
}

const EXAMPLE = readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8');

/** The example users start from (examples/anjana-educative.json, numbers as strings), with overrides. */
export function example(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...JSON.parse(EXAMPLE), ...overrides };
}

export const arn = (family: string, revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`;
