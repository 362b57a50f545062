/**
 * CloudWatch Logs clients, created once per cold start and region (a container's awslogs-region may name another
 * region than the function's). Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL points them at
 * the local endpoint), so local mode needs no code branch. Retries: ./config.ts.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { awsClientConfig, withCallNames } from './config';

const clients = new Map<string, CloudWatchLogsClient>();

export function logsClient(region: string): CloudWatchLogsClient {
  let client = clients.get(region);
  if (client === undefined) {
    client = withCallNames(new CloudWatchLogsClient({ ...awsClientConfig, region }));
    clients.set(region, client);
  }
  return client;
}
