/**
 * What a service plugs into the local AWS endpoint: the X-Amz-Target prefix it answers, its awsJson
 * protocol version, and one function per operation. The endpoint does the HTTP, the protocol errors and
 * the logging; a service only turns a parsed JSON input into an output or throws an AwsError.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html (awsJson1_1: ECS, EventBridge) and
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html (awsJson1_0: Step Functions).
 */

import type { AwsEventChannel } from '../events/aws-events';

export type JsonObject = Record<string, unknown>;

export interface RequestContext {
  /** Also the response's x-amzn-RequestId. */
  requestId: string;
}

/** Returns the output structure (serialised as JSON), or throws an AwsError. */
export type Operation = (input: JsonObject, request: RequestContext) => unknown;

export interface AwsJsonService {
  /** Short name for messages, as AWS writes it: `ECS`, `Step Functions`. */
  readonly name: string;
  /** The part of X-Amz-Target before the dot: `AmazonEC2ContainerServiceV20141113`, `AWSStepFunctions`. */
  readonly targetPrefix: string;
  /** Sets the content type, `application/x-amz-json-<version>`. */
  readonly jsonVersion: '1.0' | '1.1';
  /** The exception this service answers with (HTTP 500) when something unexpected fails: ECS's is `ServerException`. */
  readonly internalErrorCode: string;
  readonly operations: ReadonlyMap<string, Operation>;
  /** Headers added to each of its replies, from the exact body sent (DynamoDB's `x-amz-crc32`). */
  replyHeaders?(body: string): Record<string, string>;
  /** Waits for pending writes and releases the service's state. */
  close(): Promise<void>;
}

/** Where a service keeps its state and how it writes its ARNs. */
export interface ServiceContext {
  region: string;
  accountId: string;
  stateDir: string;
  /**
   * The endpoint's own URL, once it listens (a service that calls another through the wire, as Step
   * Functions calls ECS, needs it; with port 0 it is known only then).
   */
  endpointUrl: Promise<string>;
  /**
   * Where a service puts the AWS events it emits (ECS Task State Change, Step Functions Execution Status Change)
   * for the local default bus; the EventBridge service attaches the bus. Absent: the service emits nothing.
   */
  awsEvents?: AwsEventChannel;
}

export type ServiceFactory = (context: ServiceContext) => Promise<AwsJsonService>;
