/**
 * ECS's container instance registration on the wire (awsJson1_1): RegisterContainerInstance and
 * DeregisterContainerInstance, what the ECS agent on an EC2 node calls to join and leave a cluster.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterContainerInstance.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html
 * - The identity document is what the instance's metadata service gives (JSON with instanceId, instanceType,
 *   availabilityZone, region, architecture, imageId), or a plain instance id. ECS derives ecs.instance-type,
 *   ecs.availability-zone and ecs.ami-id from it; the agent's own attributes (OS, architecture, capabilities) are
 *   added as the agent would report them; the caller's `attributes` win over both.
 * - `containerInstanceArn` registers that instance again (the agent restarting): same ARN, same tasks.
 * - Deregistering leaves the instance INACTIVE; with `force` its tasks go on running, orphaned, as ECS documents.
 * And the attribute operations on container instances (API_PutAttributes.html, API_DeleteAttributes.html,
 * API_ListAttributes.html): up to 10 per call, up to 10 custom ones per instance (AttributeLimitExceededException),
 * a target the cluster does not have is TargetNotFoundException; placement and the capacity check see a change at
 * once, as they read the instance's attributes.
 * Deliberate deviations: the signature is not checked; `totalResources` without CPU or MEMORY takes them from the
 * instance type (instanceTypeResources), as the agent would measure them; an `autoScalingGroupName` member of
 * the document (EC2's has none; ECS learns it from the Auto Scaling group) says which ASG the instance is in, for
 * capacity providers. Where ECS's words are not documented, the message names the member and the rule.
 */
import type { JsonObject, Operation } from '../endpoint/service';
import { DEFAULT_RESERVED_PORTS } from './cluster-config';
import type { Attribute, Clusters, PlatformDevice, Registration, VersionInfo } from './clusters';
import { ClientException, InvalidParameterException } from './exceptions';
import {
  type AttributeInput,
  attributeList,
  maxResults,
  nextToken,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requiredString,
  tags,
} from './input';

/** "You can specify up to 10 attributes in a single call." (API_PutAttributes) */
const MAX_ATTRIBUTES_PER_CALL = 10;
const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,32}$/;
const INSTANCE_TYPE = /^[a-z0-9][a-z0-9-]*\.[a-z0-9-]+$/;
const ZONE = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/** vCPUs and GiB of memory per size of a general-purpose (m) family; c has half the memory, r twice. */
const SIZES: Record<string, [vcpu: number, gib: number]> = {
  medium: [1, 4],
  large: [2, 8],
  xlarge: [4, 16],
  '2xlarge': [8, 32],
  '4xlarge': [16, 64],
  '8xlarge': [32, 128],
  '12xlarge': [48, 192],
  '16xlarge': [64, 256],
  '24xlarge': [96, 384],
};
const T_SIZES: Record<string, [number, number]> = {
  nano: [2, 0.5],
  micro: [2, 1],
  small: [2, 2],
  medium: [2, 4],
  large: [2, 8],
  xlarge: [4, 16],
  '2xlarge': [8, 32],
};

/**
 * What the agent would report for an instance type: 1024 CPU units per vCPU, and the memory less what the
 * OS and the agent keep (about 6%, ECS_RESERVED_MEMORY aside); m5.large registers 2048 CPU and 7680 MiB.
 * An unknown type is refused: the caller must then give CPU and MEMORY.
 */
export function instanceTypeResources(instanceType: string): { cpu: number; memory: number } | undefined {
  const [family = '', size = ''] = instanceType.split('.');
  const shape = family.startsWith('t') ? T_SIZES[size] : SIZES[size];
  if (shape === undefined || !/^[tmcr]\d/.test(family)) return undefined;
  const [vcpu, gib] = shape;
  const memory = family.startsWith('c') ? gib / 2 : family.startsWith('r') ? gib * 2 : gib;
  return { cpu: vcpu * 1024, memory: Math.floor((memory * 1024 * 15) / 16 / 256) * 256 };
}

interface IdentityDocument {
  instanceId: string;
  instanceType?: string;
  availabilityZone?: string;
  region?: string;
  architecture?: string;
  imageId?: string;
  autoScalingGroupName?: string;
}

const BAD_DOCUMENT =
  "'instanceIdentityDocument' must be the instance identity document (JSON with instanceId, instanceType, availabilityZone and region) or an instance id.";

function identityDocument(text: string): IdentityDocument {
  const trimmed = text.trim();
  if (INSTANCE_ID.test(trimmed)) return { instanceId: trimmed };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new InvalidParameterException(BAD_DOCUMENT);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidParameterException(BAD_DOCUMENT);
  }
  const doc = value as Record<string, unknown>;
  const field = (name: keyof IdentityDocument, pattern?: RegExp): string | undefined => {
    const v = doc[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || (pattern !== undefined && !pattern.test(v))) {
      throw new InvalidParameterException(`The instance identity document's '${name}' is not valid: '${String(v)}'.`);
    }
    return v;
  };
  const instanceId = field('instanceId', INSTANCE_ID);
  if (instanceId === undefined) throw new InvalidParameterException(BAD_DOCUMENT);
  const out: IdentityDocument = { instanceId };
  const set = (name: keyof IdentityDocument, pattern?: RegExp) => {
    const v = field(name, pattern);
    if (v !== undefined) out[name] = v;
  };
  set('instanceType', INSTANCE_TYPE);
  set('availabilityZone', ZONE);
  set('region', /^[a-z]{2}(-[a-z]+)+-\d$/);
  set('architecture');
  set('imageId', /^ami-[0-9a-f]{8,17}$/);
  set('autoScalingGroupName', /^[\x20-\x7e]{1,255}$/);
  return out;
}

interface TotalResources {
  cpu?: number;
  memory?: number;
  ports?: number[];
  portsUdp?: number[];
}

function totalResources(input: JsonObject): TotalResources {
  const out: TotalResources = {};
  for (const [i, r] of (optionalObjectList(input, 'totalResources') ?? []).entries()) {
    const at = `totalResources[${i}]`;
    const name = requiredString(r, 'name', `${at}.name`);
    const type = optionalString(r, 'type', `${at}.type`);
    if (name === 'CPU' || name === 'MEMORY') {
      const value =
        optionalInteger(r, 'integerValue', `${at}.integerValue`) ?? optionalInteger(r, 'longValue', `${at}.longValue`);
      if ((type !== undefined && type !== 'INTEGER' && type !== 'LONG') || value === undefined || value < 1) {
        throw new InvalidParameterException(
          `'${at}' (${name}) must be an INTEGER resource with a positive integerValue.`,
        );
      }
      out[name === 'CPU' ? 'cpu' : 'memory'] = value;
    } else if (name === 'PORTS' || name === 'PORTS_UDP') {
      const values = optionalStringList(r, 'stringSetValue', `${at}.stringSetValue`) ?? [];
      const ports = values.map(Number);
      if (
        (type !== undefined && type !== 'STRINGSET') ||
        ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)
      ) {
        throw new InvalidParameterException(`'${at}' (${name}) must be a STRINGSET resource of port numbers.`);
      }
      out[name === 'PORTS' ? 'ports' : 'portsUdp'] = ports;
    }
  }
  return out;
}

function versionInfo(input: JsonObject): VersionInfo | undefined {
  const raw = optionalObject(input, 'versionInfo');
  if (raw === undefined) return undefined;
  const out: VersionInfo = {};
  for (const name of ['agentVersion', 'agentHash', 'dockerVersion'] as const) {
    const value = optionalString(raw, name, { path: `versionInfo.${name}`, maxLength: 255 });
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function platformDevices(input: JsonObject): PlatformDevice[] | undefined {
  return optionalObjectList(input, 'platformDevices')?.map((d, i) => {
    const id = requiredString(d, 'id', `platformDevices[${i}].id`);
    const type = requiredString(d, 'type', `platformDevices[${i}].type`);
    if (type !== 'GPU') {
      throw new InvalidParameterException(`'platformDevices[${i}].type' must be one of GPU; got '${type}'.`);
    }
    return { id, type };
  });
}

/** PutAttributes' and DeleteAttributes' list: 1 to 10 attributes. */
function requiredAttributes(input: JsonObject): AttributeInput[] {
  if (input.attributes === undefined || input.attributes === null) {
    throw new InvalidParameterException("'attributes' is required.");
  }
  const attributes = attributeList(input, 'attributes', { maxItems: MAX_ATTRIBUTES_PER_CALL });
  if (attributes.length === 0) throw new InvalidParameterException('attributes can not be empty');
  return attributes;
}

export function instanceOperations(clusters: Clusters, region: string): Record<string, Operation> {
  return {
    async RegisterContainerInstance(input) {
      const document = optionalString(input, 'instanceIdentityDocument');
      optionalString(input, 'instanceIdentityDocumentSignature');
      const doc = document === undefined ? undefined : identityDocument(document);
      if (doc?.region !== undefined && doc.region !== region) {
        throw new InvalidParameterException(
          `The instance identity document is for region ${doc.region}, but the request is for ${region}.`,
        );
      }
      const resources = totalResources(input);
      const attributes: Attribute[] = attributeList(input, 'attributes').map(({ name, value }) =>
        value === undefined ? { name } : { name, value },
      );
      const version = versionInfo(input);
      const devices = platformDevices(input);
      const instanceTags = tags(input) ?? [];
      const reregister = optionalString(input, 'containerInstanceArn');
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const existing = reregister === undefined ? undefined : clusters.findInstance(cluster, reregister);
      if (reregister !== undefined && existing === undefined) {
        throw new ClientException(`The referenced container instance ${reregister} was not found in the cluster.`);
      }
      if (existing?.stored.status === 'INACTIVE') {
        throw new ClientException(
          `The container instance ${reregister} is INACTIVE (deregistered): register the instance as a new one.`,
        );
      }
      const instanceType = doc?.instanceType ?? existing?.stored.instanceType ?? 'm5.large';
      const derived = instanceTypeResources(instanceType);
      const cpu = resources.cpu ?? derived?.cpu;
      const memory = resources.memory ?? derived?.memory;
      if (cpu === undefined || memory === undefined) {
        throw new InvalidParameterException(
          `'totalResources' must give CPU and MEMORY: Berth's local ECS does not know the size of a ${instanceType}.`,
        );
      }
      const registration: Registration = {
        ...(doc !== undefined ? { ec2InstanceId: doc.instanceId } : {}),
        instanceType,
        availabilityZone: doc?.availabilityZone ?? existing?.stored.availabilityZone ?? clusters.nextZone(cluster),
        cpuArchitecture: doc?.architecture === 'arm64' ? 'arm64' : 'x86_64',
        ...(doc?.imageId !== undefined ? { amiId: doc.imageId } : {}),
        cpu,
        memory,
        ports: resources.ports ?? [...DEFAULT_RESERVED_PORTS],
        portsUdp: resources.portsUdp ?? [],
        attributes,
        ...(version !== undefined ? { versionInfo: version } : {}),
        ...(devices !== undefined ? { platformDevices: devices } : {}),
        tags: instanceTags,
        agentConnected: true,
        ...(doc?.autoScalingGroupName !== undefined ? { autoScalingGroup: doc.autoScalingGroupName } : {}),
      };
      const { instance, written } = clusters.register(cluster, registration, existing);
      await written;
      return { containerInstance: clusters.instanceView(instance, ['TAGS']) };
    },

    async PutAttributes(input) {
      const attributes = requiredAttributes(input);
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      await clusters.putAttributes(cluster, attributes);
      return { attributes };
    },

    async DeleteAttributes(input) {
      const attributes = requiredAttributes(input);
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      await clusters.deleteAttributes(cluster, attributes);
      return { attributes };
    },

    async ListAttributes(input) {
      optionalEnum(input, 'targetType', ['container-instance'] as const);
      requiredString(input, 'targetType');
      const attributeName = optionalString(input, 'attributeName');
      const attributeValue = optionalString(input, 'attributeValue');
      if (attributeValue !== undefined && attributeName === undefined) {
        throw new InvalidParameterException(
          "'attributeValue' needs 'attributeName': you must also specify an attribute name to use this parameter.",
        );
      }
      const limit = maxResults(input);
      const token = nextToken(input);
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const page = clusters.listAttributes(cluster, {
        ...(attributeName !== undefined ? { attributeName } : {}),
        ...(attributeValue !== undefined ? { attributeValue } : {}),
        maxResults: limit,
        ...(token !== undefined ? { nextToken: token } : {}),
      });
      await clusters.durable();
      return page;
    },

    async DeregisterContainerInstance(input) {
      const identifier = requiredString(input, 'containerInstance');
      const force = optionalBoolean(input, 'force') ?? false;
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const instance = clusters.findInstance(cluster, identifier);
      if (instance === undefined) {
        throw new InvalidParameterException('The referenced container instance was not found.');
      }
      await clusters.deregister(cluster, instance, force);
      return { containerInstance: clusters.instanceView(instance) };
    },
  };
}
