/**
 * BerthLocal: Berth's own admin service on the local endpoint, for tests and for trying failure paths by hand.
 * awsJson1_1, `POST /` with `X-Amz-Target: BerthLocal.<Operation>`, so it is curl-able:
 *   curl -s localhost:4566 -H 'X-Amz-Target: BerthLocal.GetFaults' -d '{}'
 * Operations (inputs validated like any API; errors are AWS-shaped, InvalidParameterException naming the member):
 * - PutFaults {throttle?: {rate?, operations?, count?}, placementFailure?: {reason, count?}} -> {faults}
 *   replaces every fault (see faults.ts); PutFaults {} turns them all off. GetFaults {} -> {faults}.
 * - AddContainerInstance {cluster?, instanceType?, cpu?, memory?, availabilityZone?, attributes?, reservedPorts?,
 *   reservedUdpPorts?, agentConnected?} -> {containerInstance}
 * - RemoveContainerInstance {cluster?, containerInstance, force?} -> {containerInstance}: deregisters it (INACTIVE);
 *   refused while tasks run on it unless `force`, which stops them as StopHost does.
 * - DisconnectAgent / ConnectAgent {cluster?, containerInstance} -> {containerInstance}: agentConnected false/true
 *   (tasks keep running; placement skips the instance with AGENT).
 * - StopHost {cluster?, containerInstance} -> {containerInstance, tasks}: the EC2 host goes away: its tasks stop
 *   with "Host EC2 (instance i-...) stopped/terminated." and the instance is deregistered (INACTIVE, agent gone).
 * - GetTaskLog {cluster?, task, maxBytes?} -> {taskArn, lastStatus, log, truncated}: the task's log (its processes'
 *   stdout/stderr, or the simulate lines), the last `maxBytes` (default and at most 1 MiB).
 */
import { promises as fs } from 'node:fs';
import type { JsonObject, Operation } from '../endpoint/service';
import type { Clusters, NewInstance } from './clusters';
import { InvalidParameterException } from './exceptions';
import { type Faults, parseFaultSettings } from './faults';
import { optionalBoolean, optionalInteger, optionalObject, optionalString, requiredString } from './input';
import type { Tasks } from './tasks';

export const BERTH_LOCAL_TARGET_PREFIX = 'BerthLocal';
const MAX_LOG_BYTES = 1024 * 1024;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_./-]{1,128}$/;

function onlyMembers(input: JsonObject, allowed: readonly string[], operation: string) {
  const unknown = Object.keys(input).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new InvalidParameterException(
      `Unknown parameter '${unknown}' for ${operation}: allowed are ${allowed.join(', ')}.`,
    );
  }
}

function ports(input: JsonObject, name: string): number[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new InvalidParameterException(`'${name}' must be a list of port numbers from 1 to 65535.`);
  }
  if (value.length > 100) throw new InvalidParameterException(`'${name}' can have at most 100 ports.`);
  return value as number[];
}

function ranged(input: JsonObject, name: string, min: number, max: number): number | undefined {
  const value = optionalInteger(input, name);
  if (value !== undefined && (value < min || value > max)) {
    throw new InvalidParameterException(`'${name}' must be from ${min} to ${max}; got ${value}.`);
  }
  return value;
}

export function adminOperations(clusters: Clusters, tasks: Tasks, faults: Faults): Record<string, Operation> {
  const instanceOf = (input: JsonObject) => {
    const cluster = clusters.resolve(optionalString(input, 'cluster'));
    return { cluster, instance: clusters.requireInstance(cluster, requiredString(input, 'containerInstance')) };
  };

  return {
    async PutFaults(input) {
      faults.put(parseFaultSettings(input));
      return { faults: faults.get() };
    },

    async GetFaults(input) {
      onlyMembers(input, [], 'GetFaults');
      return { faults: faults.get() };
    },

    async AddContainerInstance(input) {
      const allowed = [
        'cluster',
        'instanceType',
        'cpu',
        'memory',
        'availabilityZone',
        'attributes',
        'reservedPorts',
        'reservedUdpPorts',
        'agentConnected',
      ];
      onlyMembers(input, allowed, 'AddContainerInstance');
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const spec: NewInstance = clusters.newInstanceDefaults(cluster);
      const instanceType = optionalString(input, 'instanceType');
      if (instanceType !== undefined) {
        if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(instanceType)) {
          throw new InvalidParameterException(`'instanceType' is not an instance type name: '${instanceType}'.`);
        }
        spec.instanceType = instanceType;
      }
      spec.cpu = ranged(input, 'cpu', 128, 1_000_000) ?? spec.cpu;
      spec.memory = ranged(input, 'memory', 128, 10_000_000) ?? spec.memory;
      const zone = optionalString(input, 'availabilityZone');
      if (zone !== undefined) {
        if (!/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(zone)) {
          throw new InvalidParameterException(
            `'availabilityZone' must be a zone name such as us-east-1a; got '${zone}'.`,
          );
        }
        spec.availabilityZone = zone;
      }
      const attributes = optionalObject(input, 'attributes');
      if (attributes !== undefined) {
        for (const [name, value] of Object.entries(attributes)) {
          if (!ATTRIBUTE_NAME.test(name)) {
            throw new InvalidParameterException(
              `'attributes' has an invalid name '${name}' (letters, digits, _ . / -).`,
            );
          }
          if (value !== null && (typeof value !== 'string' || value.length > 128)) {
            throw new InvalidParameterException(
              `'attributes.${name}' must be a string of at most 128 characters or null.`,
            );
          }
        }
        spec.attributes = attributes as Record<string, string | null>;
      }
      spec.reservedPorts = ports(input, 'reservedPorts') ?? spec.reservedPorts;
      spec.reservedUdpPorts = ports(input, 'reservedUdpPorts') ?? spec.reservedUdpPorts;
      spec.agentConnected = optionalBoolean(input, 'agentConnected') ?? true;
      const { instance, written } = clusters.addInstance(cluster, spec);
      await written;
      return { containerInstance: clusters.instanceView(instance) };
    },

    async RemoveContainerInstance(input) {
      onlyMembers(input, ['cluster', 'containerInstance', 'force'], 'RemoveContainerInstance');
      const { cluster, instance } = instanceOf(input);
      const force = optionalBoolean(input, 'force') ?? false;
      if (instance.stored.status !== 'INACTIVE') {
        if (instance.taskGroups.size > 0) {
          if (!force) {
            throw new InvalidParameterException(
              'Found running tasks on the instance: stop them first, or pass force to stop them with the host.',
            );
          }
          await tasks.hostLost(instance);
        }
        await clusters.deregister(cluster, instance, true);
      }
      return { containerInstance: clusters.instanceView(instance) };
    },

    async DisconnectAgent(input) {
      onlyMembers(input, ['cluster', 'containerInstance'], 'DisconnectAgent');
      const { cluster, instance } = instanceOf(input);
      if (instance.stored.agentConnected) await clusters.changeInstance(cluster, instance, { agentConnected: false });
      await clusters.durable();
      return { containerInstance: clusters.instanceView(instance) };
    },

    async ConnectAgent(input) {
      onlyMembers(input, ['cluster', 'containerInstance'], 'ConnectAgent');
      const { cluster, instance } = instanceOf(input);
      if (instance.stored.status === 'INACTIVE') {
        throw new InvalidParameterException(
          'The container instance is deregistered (INACTIVE): its agent cannot reconnect.',
        );
      }
      if (!instance.stored.agentConnected) await clusters.changeInstance(cluster, instance, { agentConnected: true });
      await clusters.durable();
      return { containerInstance: clusters.instanceView(instance) };
    },

    async StopHost(input) {
      onlyMembers(input, ['cluster', 'containerInstance'], 'StopHost');
      const { cluster, instance } = instanceOf(input);
      const stopped = await tasks.hostLost(instance);
      if (instance.stored.status !== 'INACTIVE') {
        await clusters.changeInstance(cluster, instance, { status: 'INACTIVE', agentConnected: false });
      }
      await clusters.durable();
      return { containerInstance: clusters.instanceView(instance), tasks: stopped };
    },

    async GetTaskLog(input) {
      onlyMembers(input, ['cluster', 'task', 'maxBytes'], 'GetTaskLog');
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const identifier = requiredString(input, 'task');
      const maxBytes = ranged(input, 'maxBytes', 1, MAX_LOG_BYTES) ?? MAX_LOG_BYTES;
      const found = tasks.taskFor(cluster, identifier);
      if (found === undefined) throw new InvalidParameterException('The referenced task was not found.');
      let data: Buffer;
      if (found.log !== undefined) {
        await tasks.durable();
        data = Buffer.from(found.log);
      } else {
        try {
          data = await fs.readFile(found.logFile);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          data = Buffer.alloc(0);
        }
      }
      const truncated = data.length > maxBytes;
      const log = (truncated ? data.subarray(data.length - maxBytes) : data).toString('utf8');
      return { taskArn: found.task.taskArn, lastStatus: found.task.lastStatus, log, truncated };
    },
  };
}
