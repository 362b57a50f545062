/**
 * The ECS operations Berth's local ECS does not emulate, by what they belong to. Each answers
 * UnknownOperationException naming the operation and what it is part of, so a client that reaches for one fails
 * loudly (as moto's unsupported actions do) instead of getting an empty answer. docs/local-stack.md lists them;
 * test/conformance/ecs-operations.test.ts checks that every operation of the ECS API is either emulated or here.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Operations.html
 */
import { UnknownOperationException } from '../endpoint/errors';
import type { Operation } from '../endpoint/service';

export const NOT_EMULATED: Readonly<Record<string, readonly string[]>> = {
  services: [
    'CreateService',
    'DeleteService',
    'DescribeServices',
    'ListServices',
    'ListServicesByNamespace',
    'UpdateService',
    'DescribeServiceDeployments',
    'DescribeServiceRevisions',
    'ListServiceDeployments',
    'StopServiceDeployment',
    'ContinueServiceDeployment',
    'GetTaskProtection',
    'UpdateTaskProtection',
    'CreateExpressGatewayService',
    'DeleteExpressGatewayService',
    'DescribeExpressGatewayService',
    'UpdateExpressGatewayService',
  ],
  'task sets': ['CreateTaskSet', 'DeleteTaskSet', 'DescribeTaskSets', 'UpdateTaskSet', 'UpdateServicePrimaryTaskSet'],
  'account settings': ['DeleteAccountSetting', 'ListAccountSettings', 'PutAccountSetting', 'PutAccountSettingDefault'],
  'ECS Exec': ['ExecuteCommand'],
  daemons: [
    'CreateDaemon',
    'DeleteDaemon',
    'DeleteDaemonTaskDefinition',
    'DescribeDaemon',
    'DescribeDaemonDeployments',
    'DescribeDaemonRevisions',
    'DescribeDaemonTaskDefinition',
    'ListDaemonDeployments',
    'ListDaemonTaskDefinitions',
    'ListDaemons',
    'RegisterDaemonTaskDefinition',
    'UpdateDaemon',
  ],
  gateways: [
    'AssociateGatewayWithCluster',
    'CreateGateway',
    'DeleteGateway',
    'DescribeGateway',
    'DescribeGatewayResources',
    'DescribeGatewayRoute',
    'DisassociateGatewayFromCluster',
    'ListGatewayClusterAssociations',
    'ListGatewayRoutes',
    'ListGateways',
    'UpdateGateway',
  ],
  "the container agent's own channel": [
    'DiscoverPollEndpoint',
    'SubmitAttachmentStateChanges',
    'SubmitContainerStateChange',
    'SubmitTaskStateChange',
    'UpdateContainerAgent',
  ],
};

/** One operation per name in NOT_EMULATED, each refusing with UnknownOperationException. */
export function unmodelledOperations(): Record<string, Operation> {
  const out: Record<string, Operation> = {};
  for (const [area, names] of Object.entries(NOT_EMULATED)) {
    for (const name of names) {
      out[name] = () => {
        throw new UnknownOperationException(
          `Berth's local endpoint does not emulate the ECS operation ${name} (${area}: not modelled): it emulates clusters, container instances, capacity providers, task definitions, tasks, attributes and tags. See docs/local-stack.md.`,
        );
      };
    }
  }
  return out;
}
