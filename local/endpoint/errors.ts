/**
 * Errors as the AWS JSON protocols carry them: a JSON body `{"__type": "<ExceptionName>", "message": "..."}`,
 * the same name in the `x-amzn-errortype` header, and the HTTP status AWS uses for that exception.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization
 * Each service names its own exceptions in its module (local/ecs/exceptions.ts); the ones here are the
 * protocol's, which any service can answer before its own code runs.
 */

export class AwsError extends Error {
  constructor(
    /** The exception's AWS name, e.g. `ClientException`; `__type` on the wire. */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }

  /** The JSON body on the wire; a service whose errors carry more (DynamoDB's namespaced `__type`) overrides it. */
  wireBody(): Record<string, unknown> {
    return { __type: this.code, message: this.message };
  }
}

/** The body is not JSON, or a member has the wrong JSON type. */
export class SerializationException extends AwsError {
  constructor(message: string) {
    super('SerializationException', message, 400);
  }
}

/** The X-Amz-Target names an operation (or a service) this endpoint does not serve. */
export class UnknownOperationException extends AwsError {
  constructor(message: string) {
    super('UnknownOperationException', message, 400);
  }
}

/** The request is not an AWS JSON protocol request at all (wrong method or path). */
export class MethodNotAllowedException extends AwsError {
  constructor(message: string) {
    super('MethodNotAllowedException', message, 405);
  }
}

/** The body is not in the protocol's media type (application/x-amz-json-1.0 or 1.1). */
export class UnsupportedMediaTypeException extends AwsError {
  constructor(message: string) {
    super('UnsupportedMediaTypeException', message, 415);
  }
}

export class RequestEntityTooLargeException extends AwsError {
  constructor(message: string) {
    super('RequestEntityTooLargeException', message, 413);
  }
}
