/**
 * CloudWatch Logs' exceptions, named by their AWS code, with the HTTP status CloudWatch Logs answers them with.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html and each operation's
 * Errors section (e.g. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html#API_PutLogEvents_Errors).
 */
import { AwsError } from '../endpoint/errors';

/** A parameter breaks a constraint of the API model, or a rule of the operation (order, span, size, tokens). */
export class InvalidParameterException extends AwsError {
  constructor(message: string) {
    super('InvalidParameterException', message, 400);
  }
}

/** The log group or stream named does not exist. */
export class ResourceNotFoundException extends AwsError {
  constructor(message: string) {
    super('ResourceNotFoundException', message, 400);
  }
}

/** CreateLogGroup or CreateLogStream of a name that is taken. */
export class ResourceAlreadyExistsException extends AwsError {
  constructor(message: string) {
    super('ResourceAlreadyExistsException', message, 400);
  }
}

/** CloudWatch Logs itself failed; the endpoint answers this for anything unexpected. */
export class ServiceUnavailableException extends AwsError {
  constructor(message: string) {
    super('ServiceUnavailableException', message, 500);
  }
}

export const GROUP_NOT_FOUND = 'The specified log group does not exist.';
export const STREAM_NOT_FOUND = 'The specified log stream does not exist.';
