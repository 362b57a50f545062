/**
 * Step Functions' exceptions, named by their AWS code. Every one is answered with HTTP 400, as the Step
 * Functions API reference lists them under each operation's Errors section, e.g.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#API_StartExecution_Errors
 * and https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html (ValidationException).
 */
import { AwsError } from '../endpoint/errors';

class SfnError extends AwsError {
  constructor(code: string, message: string) {
    super(code, message, 400);
  }
}

export class InvalidArn extends SfnError {
  constructor(message: string) {
    super('InvalidArn', message);
  }
}

export class InvalidDefinition extends SfnError {
  constructor(message: string) {
    super('InvalidDefinition', message);
  }
}

export class InvalidName extends SfnError {
  constructor(message: string) {
    super('InvalidName', message);
  }
}

export class InvalidExecutionInput extends SfnError {
  constructor(message: string) {
    super('InvalidExecutionInput', message);
  }
}

export class InvalidToken extends SfnError {
  constructor(message: string) {
    super('InvalidToken', message);
  }
}

export class StateMachineAlreadyExists extends SfnError {
  constructor(message: string) {
    super('StateMachineAlreadyExists', message);
  }
}

export class StateMachineDoesNotExist extends SfnError {
  constructor(message: string) {
    super('StateMachineDoesNotExist', message);
  }
}

export class StateMachineTypeNotSupported extends SfnError {
  constructor(message: string) {
    super('StateMachineTypeNotSupported', message);
  }
}

export class ExecutionAlreadyExists extends SfnError {
  constructor(message: string) {
    super('ExecutionAlreadyExists', message);
  }
}

export class ExecutionDoesNotExist extends SfnError {
  constructor(message: string) {
    super('ExecutionDoesNotExist', message);
  }
}

/** UpdateStateMachine with nothing to update. */
export class MissingRequiredParameter extends SfnError {
  constructor(message: string) {
    super('MissingRequiredParameter', message);
  }
}

/** A member is missing, too long or out of range (AWS's message: "1 validation error detected: ..."). */
export class ValidationException extends SfnError {
  constructor(message: string) {
    super('ValidationException', message);
  }
}

/** SendTask*: a token no task of Berth's was given (API_SendTaskSuccess, Errors). */
export class TaskDoesNotExist extends SfnError {
  constructor(message: string) {
    super('TaskDoesNotExist', message);
  }
}

/** SendTask*: the token's task has already been closed (succeeded, failed, timed out, retried or stopped). */
export class TaskTimedOut extends SfnError {
  constructor(message: string) {
    super('TaskTimedOut', message);
  }
}

/** SendTaskSuccess: the output is not JSON, or over the payload size quota. */
export class InvalidOutput extends SfnError {
  constructor(message: string) {
    super('InvalidOutput', message);
  }
}
