/**
 * The DynamoDB document client, created once per cold start. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL points it at the local endpoint), so local mode needs no code branch. Retries: ./config.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, withCallNames } from './config';

let client: DynamoDBDocumentClient | undefined;

export function dynamoClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(withCallNames(new DynamoDBClient(awsClientConfig)), {
    // A record's optional members are left out rather than written as NULL.
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}
