/**
 * Berth's local ECS: the ECS service the local AWS endpoint serves, on the awsJson1_1 protocol with
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`, and BerthLocal, its admin service
 * (`X-Amz-Target: BerthLocal.<Operation>`, see api-admin.ts).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/Welcome.html
 * Both share one backend, regional as ECS is (openBackend): per region one DurableStore, `<stateDir>/ecs.jsonl` for
 * the endpoint's region and `<stateDir>/ecs.<region>.jsonl` for any other, holding task definitions, clusters,
 * container instances, capacity providers, tasks and client tokens under their own key prefixes; task logs under
 * `<stateDir>/ecs-logs/`. The region is the request's (its signature's credential scope). Operations it does not emulate answer UnknownOperationException naming them
 * (unmodelled.ts; a name that is no ECS operation at all: local/endpoint/server.ts). Closing the endpoint kills the process containers it runs; the next start finds their
 * tasks unstopped and stops them as on a lost host (tasks.ts).
 */
import { promises as fs } from 'node:fs';
import type { AwsJsonService, Operation, ServiceContext, ServiceFactory } from '../endpoint/service';
import type { LogStore } from '../logs/models';
import { openLogStore } from '../logs/service';
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
import { ECS_STORE_OPTIONS } from './task-types';
import { Tasks } from './tasks';
import { unmodelledOperations } from './unmodelled';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';

interface Backend {
  ecs: Map<string, Operation>;
  admin: Map<string, Operation>;
  close(): Promise<void>;
}

/** One region's ECS: its own journal, models and operations. */
interface Region {
  ecs: Record<string, Operation>;
  admin: Record<string, Operation>;
  close(): Promise<void>;
}

/** The journal of a region: `ecs` for the endpoint's own (as before regions), `ecs.<region>` for any other. */
const journalName = (region: string, home: string) => (region === home ? 'ecs' : `ecs.${region}`);
const REGION_JOURNAL = /^ecs\.([a-z0-9-]+)\.jsonl$/;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d$/;

async function openRegion(
  context: ServiceContext,
  options: EcsOptions,
  faults: Faults,
  region: string,
  logs: LogStore,
): Promise<Region> {
  const home = region === context.region;
  const store = await DurableStore.open<unknown>(
    context.stateDir,
    journalName(region, context.region),
    ECS_STORE_OPTIONS,
  );
  try {
    const scope = { ...context, region };
    const taskDefinitions = TaskDefinitions.load(store, scope);
    // The cluster config (and the default cluster it implies) is the endpoint's own region's; elsewhere clusters
    // exist once CreateCluster makes them, as in an account's new region.
    const clusters = await Clusters.load(store, home ? options.clusterConfig : { clusters: [] }, {
      ...scope,
      now: options.now,
      seedDefault: home,
    });
    const tasks = await Tasks.load(store, clusters, faults, { ...scope, ...options, logs });
    const capacityProviders = new CapacityProviders(store, scope);
    clusters.capacityProviderOf = (instance) => capacityProviders.providerOf(instance);
    return {
      ecs: {
        ...unmodelledOperations(),
        ...taskDefinitionOperations(taskDefinitions),
        ...clusterOperations(clusters, capacityProviders, scope, (cluster, provider) =>
          tasks.providerInUse(cluster, provider),
        ),
        ...instanceOperations(clusters, region),
        ...taskOperations(clusters, taskDefinitions, tasks, capacityProviders),
        ...tagOperations({ clusters, definitions: taskDefinitions, tasks, capacityProviders }),
      },
      admin: adminOperations(clusters, tasks, faults),
      async close() {
        await tasks.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * ECS is regional: each region a request is signed for has its own state (journal, clusters, task definitions,
 * tasks), opened on its first request, and its own ARNs. The endpoint's own region is opened at start; so is every
 * region with a journal in the state directory, so that its unstopped tasks are picked up again at once.
 */
async function openBackend(context: ServiceContext, options: EcsOptions): Promise<Backend> {
  const faults = new Faults(options.faults, options.random);
  // The local CloudWatch Logs awslogs containers write to (shared with the Logs service of the same endpoint).
  const logStore = openLogStore(context);
  let logs: LogStore;
  try {
    logs = await logStore.store;
  } catch (err) {
    await logStore.release();
    throw err;
  }
  const regions = new Map<string, Promise<Region>>();
  const region = (signed: string): Promise<Region> => {
    // A signature for a name no AWS region has (`local`) is taken as the endpoint's own region.
    const name = REGION_NAME.test(signed) ? signed : context.region;
    let opened = regions.get(name);
    if (opened === undefined) {
      opened = openRegion(context, options, faults, name, logs);
      regions.set(name, opened);
      opened.catch(() => regions.delete(name));
    }
    return opened;
  };
  const others = (await fs.readdir(context.stateDir).catch(() => [] as string[]))
    .map((file) => REGION_JOURNAL.exec(file)?.[1])
    .filter((name): name is string => name !== undefined && name !== context.region && REGION_NAME.test(name));
  const closeRegions = async () => {
    const opened = await Promise.allSettled(regions.values());
    await Promise.all(opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value.close()] : [])));
  };
  let home: Region;
  try {
    await Promise.all([context.region, ...others].map(region));
    home = await region(context.region);
  } catch (err) {
    await closeRegions();
    await logStore.release();
    throw err;
  }
  const route = (kind: 'ecs' | 'admin', names: string[]) =>
    new Map<string, Operation>(
      names.map((name) => [
        name,
        async (input, request) => {
          if (kind === 'ecs' && faults.throttles(name)) throw new ThrottlingException();
          const models = await region(request.region ?? context.region);
          return models[kind][name]!(input, request);
        },
      ]),
    );
  return {
    ecs: route('ecs', Object.keys(home.ecs)),
    admin: route('admin', Object.keys(home.admin)),
    async close() {
      await closeRegions();
      await logStore.release();
    },
  };
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
