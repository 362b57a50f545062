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

/** A parameter is out of range or malformed (maxResults, include, nextToken, list sizes, RunTask rules). */
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

/** The cluster named does not exist (or is INACTIVE). */
export class ClusterNotFoundException extends AwsError {
  constructor(message = 'Cluster not found.') {
    super('ClusterNotFoundException', message, 400);
  }
}

/** DeleteCluster on a cluster that still has ACTIVE or DRAINING container instances. */
export class ClusterContainsContainerInstancesException extends AwsError {
  constructor() {
    super(
      'ClusterContainsContainerInstancesException',
      'The Cluster cannot be deleted while Container Instances are active or draining.',
      400,
    );
  }
}

/** DeleteCluster on a cluster that still has tasks that are not STOPPED. */
export class ClusterContainsTasksException extends AwsError {
  constructor() {
    super('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.', 400);
  }
}

/** RunTask with a clientToken already used by a different request. */
export class ConflictException extends AwsError {
  constructor(message: string) {
    super('ConflictException', message, 400);
  }
}

/** What AWS answers a throttled call with (HTTP 400; the SDKs retry it as throttling). */
export class ThrottlingException extends AwsError {
  constructor() {
    super('ThrottlingException', 'Rate exceeded', 400);
  }
}

/** TagResource and UntagResource on an ECS resource that does not exist. */
export class ResourceNotFoundException extends AwsError {
  constructor(message = 'The specified resource could not be found.') {
    super('ResourceNotFoundException', message, 400);
  }
}

/** PutAttributes or DeleteAttributes on a container instance the cluster does not have. */
export class TargetNotFoundException extends AwsError {
  constructor(message: string) {
    super('TargetNotFoundException', message, 400);
  }
}

/** PutAttributes beyond the custom attributes a container instance may carry. */
export class AttributeLimitExceededException extends AwsError {
  constructor(message: string) {
    super('AttributeLimitExceededException', message, 400);
  }
}

/** PutClusterCapacityProviders taking away a capacity provider that tasks of the cluster still use. */
export class ResourceInUseException extends AwsError {
  constructor(message = 'The specified resource is in-use and cannot be removed.') {
    super('ResourceInUseException', message, 400);
  }
}
