/**
 * Berth's local ECS: the ECS service the local AWS endpoint serves, on the awsJson1_1 protocol with
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`, and BerthLocal, its admin service
 * (`X-Amz-Target: BerthLocal.<Operation>`, see api-admin.ts).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/Welcome.html
 * Both share one backend: one DurableStore, `<stateDir>/ecs.jsonl`, holding task definitions, clusters,
 * container instances, tasks and client tokens under their own key prefixes; task logs under
 * `<stateDir>/ecs-logs/`. Operations it does not emulate answer UnknownOperationException naming them
 * (unmodelled.ts; a name that is no ECS operation at all: local/endpoint/server.ts). Closing the endpoint kills the process containers it runs; the next start finds their
 * tasks unstopped and stops them as on a lost host (tasks.ts).
 */
import type { AwsJsonService, Operation, ServiceContext, ServiceFactory } from '../endpoint/service';
import { DurableStore } from '../store';
import { taskDefinitionOperations } from './api';
import { adminOperations, BERTH_LOCAL_TARGET_PREFIX } from './api-admin';
import { clusterOperations } from './api-clusters';
import { instanceOperations } from './api-instances';
import { tagOperations } from './api-tags';
import { taskOperations } from './api-tasks';
import { CapacityProviders } from './capacity-providers';
import { Clusters } from './clusters';
import { ThrottlingException } from './exceptions';
import { Faults } from './faults';
import { TaskDefinitions } from './models';
import { type EcsOptions, ecsOptionsFromEnv } from './options';
import { Tasks } from './tasks';
import { unmodelledOperations } from './unmodelled';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';

interface Backend {
  ecs: Map<string, Operation>;
  admin: Map<string, Operation>;
  close(): Promise<void>;
}

async function openBackend(context: ServiceContext, options: EcsOptions): Promise<Backend> {
  const store = await DurableStore.open<unknown>(context.stateDir, 'ecs');
  try {
    const taskDefinitions = TaskDefinitions.load(store, context);
    const clusters = await Clusters.load(store, options.clusterConfig, { ...context, now: options.now });
    const faults = new Faults(options.faults, options.random);
    const tasks = await Tasks.load(store, clusters, faults, { ...context, ...options });
    const capacityProviders = new CapacityProviders(store, context);
    clusters.capacityProviderOf = (instance) => capacityProviders.providerOf(instance);
    const ecs = new Map<string, Operation>();
    const operations = {
      ...unmodelledOperations(),
      ...taskDefinitionOperations(taskDefinitions),
      ...clusterOperations(clusters, capacityProviders, context),
      ...instanceOperations(clusters, context.region),
      ...taskOperations(clusters, taskDefinitions, tasks, capacityProviders),
      ...tagOperations({ clusters, definitions: taskDefinitions, tasks, capacityProviders }),
    };
    for (const [name, operation] of Object.entries(operations)) {
      ecs.set(name, (input, request) => {
        if (faults.throttles(name)) throw new ThrottlingException();
        return operation(input, request);
      });
    }
    return {
      ecs,
      admin: new Map(Object.entries(adminOperations(clusters, tasks, faults))),
      async close() {
        tasks.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * The two services of the local ECS, sharing one backend per state directory. `options` default to the
 * environment's (options.ts), read when the endpoint starts.
 */
export function localEcsServices(options?: Partial<EcsOptions>): [ecs: ServiceFactory, admin: ServiceFactory] {
  const backends = new Map<string, { backend: Promise<Backend>; users: number }>();
  const acquire = (context: ServiceContext) => {
    let shared = backends.get(context.stateDir);
    if (shared === undefined) {
      const resolved: EcsOptions = { ...ecsOptionsFromEnv(), ...options };
      shared = { backend: openBackend(context, resolved), users: 0 };
      backends.set(context.stateDir, shared);
    }
    shared.users++;
    const entry = shared;
    let released = false;
    return {
      backend: entry.backend,
      async release() {
        if (released) return;
        released = true;
        entry.users--;
        if (entry.users === 0) {
          backends.delete(context.stateDir);
          await (await entry.backend).close();
        }
      },
    };
  };
  const factory =
    (kind: 'ecs' | 'admin'): ServiceFactory =>
    async (context) => {
      const { backend, release } = acquire(context);
      let opened: Backend;
      try {
        opened = await backend;
      } catch (err) {
        backends.delete(context.stateDir);
        throw err;
      }
      const service: AwsJsonService =
        kind === 'ecs'
          ? {
              name: 'ECS',
              targetPrefix: ECS_TARGET_PREFIX,
              jsonVersion: '1.1',
              internalErrorCode: 'ServerException',
              operations: opened.ecs,
              close: release,
            }
          : {
              name: 'BerthLocal',
              targetPrefix: BERTH_LOCAL_TARGET_PREFIX,
              jsonVersion: '1.1',
              internalErrorCode: 'ServerException',
              operations: opened.admin,
              close: release,
            };
      return service;
    };
  return [factory('ecs'), factory('admin')];
}

export const [ecsService, berthLocalService] = localEcsServices();
