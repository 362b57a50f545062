/**
 * The ECS client, created once per cold start. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL points it at the local endpoint), so local mode needs no code branch.
 */
import { ECSClient } from '@aws-sdk/client-ecs';

let client: ECSClient | undefined;

export function ecsClient(): ECSClient {
  client ??= new ECSClient({});
  return client;
}
