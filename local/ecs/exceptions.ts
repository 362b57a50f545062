/**
 * ECS's exceptions, named by their AWS code, with the HTTP status ECS answers them with.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html and each operation's Errors
 * section (e.g. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html#API_RegisterTaskDefinition_Errors).
 * ECS answers one error per call, so a ClientException carries one message, in ECS's words where known.
 */
import { AwsError } from '../endpoint/errors';

/** The request is wrong: an invalid task definition, or one that does not exist. */
export class ClientException extends AwsError {
  constructor(message: string) {
    super('ClientException', message, 400);
  }
}

/** A parameter is out of range or malformed (maxResults, include, nextToken, list sizes). */
export class InvalidParameterException extends AwsError {
  constructor(message: string) {
    super('InvalidParameterException', message, 400);
  }
}

/** ECS itself failed; the endpoint answers this for anything unexpected (see AwsJsonService.internalErrorCode). */
export class ServerException extends AwsError {
  constructor(message: string) {
    super('ServerException', message, 500);
  }
}
