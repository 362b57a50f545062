/**
 * The EventBridge client, created once per cold start. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL points it at the local endpoint), so local mode needs no code branch.
 * Retries: ./config.ts.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsClientConfig, withCallNames } from './config';

let client: EventBridgeClient | undefined;

export function eventsClient(): EventBridgeClient {
  client ??= withCallNames(new EventBridgeClient(awsClientConfig));
  return client;
}
