/**
 * The ECS client, created once per cold start. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL points it at the local endpoint), so local mode needs no code branch.
 * Retries: ./config.ts.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { awsClientConfig, withCallNames } from './config';

let client: ECSClient | undefined;

export function ecsClient(): ECSClient {
  client ??= withCallNames(new ECSClient(awsClientConfig));
  return client;
}
