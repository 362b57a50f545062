/**
 * Runs the AWS CLI (v1, as installed) against a local endpoint with `--endpoint-url`, exactly as a user would,
 * with dummy credentials and none of the machine's own AWS configuration.
 */
import { execFile } from 'node:child_process';
import { REGION } from './endpoint';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws <service> <args> --endpoint-url <endpointUrl> --region us-east-1 --output json`; never rejects. */
export function awsCli(service: string, endpointUrl: string, ...args: string[]): Promise<CliResult> {
  return awsCliIn(REGION, service, endpointUrl, ...args);
}

/** awsCli with `--region <region>`. */
export function awsCliIn(region: string, service: string, endpointUrl: string, ...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: REGION,
    // Nothing from the machine's own AWS configuration may leak in.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
  return new Promise((resolve) => {
    execFile(
      'aws',
      [service, ...args, '--endpoint-url', endpointUrl, '--region', region, '--output', 'json'],
      { env },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Like awsCli, but parses stdout as JSON (a command that prints nothing gives `{}`) and throws with the CLI's
 * stderr when it exits non-zero.
 */
export function awsCliJson(service: string, endpointUrl: string, ...args: string[]) {
  return awsCliJsonIn(REGION, service, endpointUrl, ...args);
}

/** awsCliJson with `--region <region>`. */
export async function awsCliJsonIn(region: string, service: string, endpointUrl: string, ...args: string[]) {
  const result = await awsCliIn(region, service, endpointUrl, ...args);
  if (result.code !== 0) {
    throw new Error(`aws ${service} ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout.trim() === '' ? {} : JSON.parse(result.stdout);
}
