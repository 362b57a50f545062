/**
 * EventBridge's exceptions, named by their AWS code, with the HTTP status EventBridge answers them with.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html and each operation's Errors
 * section (e.g. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html#API_PutRule_Errors).
 */
import { AwsError } from '../endpoint/errors';

/** A parameter breaks a constraint of the API model (lengths, list sizes, the request's total size). */
export class ValidationException extends AwsError {
  constructor(message: string) {
    super('ValidationException', message, 400);
  }
}

/** The event pattern does not compile; the message is `Event pattern is not valid. Reason: ...`. */
export class InvalidEventPatternException extends AwsError {
  constructor(message: string) {
    super('InvalidEventPatternException', message, 400);
  }
}

/** A rule or event bus that does not exist. */
export class ResourceNotFoundException extends AwsError {
  constructor(message: string) {
    super('ResourceNotFoundException', message, 400);
  }
}

/** EventBridge itself failed; the endpoint answers this for anything unexpected. */
export class InternalException extends AwsError {
  constructor(message: string) {
    super('InternalException', message, 500);
  }
}
