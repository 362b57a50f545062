/**
 * The EventBridge client, created once per cold start. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL points it at the local endpoint), so local mode needs no code branch.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

let client: EventBridgeClient | undefined;

export function eventsClient(): EventBridgeClient {
  client ??= new EventBridgeClient({});
  return client;
}
