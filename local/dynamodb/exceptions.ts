/**
 * DynamoDB's errors as it puts them on the wire (awsJson1_0): `__type` carries the exception's namespace,
 * `com.amazonaws.dynamodb.v20120810#` for DynamoDB's own, `com.amazon.coral.validate#` for ValidationException
 * and `com.amazon.coral.service#` for protocol errors; a ConditionalCheckFailedException can carry the `Item`.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 * The SDKs and the CLI strip the namespace; `x-amzn-errortype` carries the bare name, as for the other services.
 */
import { AwsError } from '../endpoint/errors';

export const DYNAMODB_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
export const VALIDATE_NAMESPACE = 'com.amazon.coral.validate';
export const SERVICE_NAMESPACE = 'com.amazon.coral.service';

export class DynamoDbError extends AwsError {
  constructor(
    code: string,
    message: string,
    statusCode = 400,
    /** The `__type` before the `#`. */
    readonly namespace = DYNAMODB_NAMESPACE,
    /** Members beside `__type` and `message`, exactly as sent (dynalite's SerializationException says `Message`). */
    readonly members: Record<string, unknown> = { message },
  ) {
    super(code, message, statusCode);
  }

  override wireBody(): Record<string, unknown> {
    return { __type: `${this.namespace}#${this.code}`, ...this.members };
  }
}

/** A body dynalite answered with (`{__type: 'ns#Name', message}`), kept byte for byte but for key order. */
export function fromWireBody(body: Record<string, unknown>, statusCode: number): DynamoDbError {
  const type = String(body.__type ?? `${SERVICE_NAMESPACE}#InternalFailure`);
  const hash = type.lastIndexOf('#');
  const namespace = hash < 0 ? DYNAMODB_NAMESPACE : type.slice(0, hash);
  const code = type.slice(hash + 1);
  const { __type: _type, ...members } = body;
  const message = String(members.message ?? members.Message ?? '');
  return new DynamoDbError(code, message, statusCode, namespace, members);
}

export class ValidationError extends DynamoDbError {
  constructor(message: string) {
    super('ValidationException', message, 400, VALIDATE_NAMESPACE);
  }
}

export class ResourceNotFoundError extends DynamoDbError {
  constructor(message = 'Requested resource not found') {
    super('ResourceNotFoundException', message);
  }
}

export class ResourceInUseError extends DynamoDbError {
  constructor(message: string) {
    super('ResourceInUseException', message);
  }
}

/** An operation or parameter Berth's local DynamoDB does not emulate: loud, never a silent `{}`. */
export class UnsupportedOperationError extends DynamoDbError {
  constructor(message: string) {
    super('UnknownOperationException', message, 400, SERVICE_NAMESPACE);
  }
}

export class InternalServerError extends DynamoDbError {
  constructor() {
    super('InternalServerError', "An internal error occurred in Berth's local DynamoDB.", 500);
  }
}
