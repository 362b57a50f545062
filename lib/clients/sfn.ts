/**
 * The Step Functions client, created once per cold start. Endpoints come from the SDK's own
 * configuration (AWS_ENDPOINT_URL points it at the local endpoint), so local mode needs no code branch.
 * Retries: ./config.ts.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig, withCallNames } from './config';

let client: SFNClient | undefined;

export function sfnClient(): SFNClient {
  client ??= withCallNames(new SFNClient(awsClientConfig));
  return client;
}
