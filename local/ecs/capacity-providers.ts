/**
 * ECS capacity providers: FARGATE and FARGATE_SPOT, which every account has, and the Auto Scaling group providers
 * CreateCapacityProvider records, kept in the ECS DurableStore (`capacity-provider/<name>`).
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProvider.html and the pages of
 * CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider and DeleteCapacityProvider.
 * Deliberate deviations: no Auto Scaling group exists here, so managed scaling never scales and the group is only
 * a name: the container instances of a provider are those registered with that group's name (see
 * Clusters.instancesOf). Managed Instances providers are refused. A deleted provider stays INACTIVE (ECS forgets it
 * after a while) and its name cannot be taken again.
 */
import type { Tag } from '@aws-sdk/client-ecs';
import type { DurableStore } from '../store';
import { ClientException, InvalidParameterException } from './exceptions';
import { decodeCursor, encodeCursor } from './input';

export const FARGATE_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'] as const;
const KEY = 'capacity-provider/';
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

export interface ManagedScaling {
  status: 'ENABLED' | 'DISABLED';
  targetCapacity: number;
  minimumScalingStepSize: number;
  maximumScalingStepSize: number;
  instanceWarmupPeriod: number;
}

export interface AutoScalingGroupProvider {
  autoScalingGroupArn: string;
  managedScaling: ManagedScaling;
  managedTerminationProtection: 'ENABLED' | 'DISABLED';
  managedDraining: 'ENABLED' | 'DISABLED';
}

export interface StoredCapacityProvider {
  capacityProviderArn: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE';
  autoScalingGroupProvider?: AutoScalingGroupProvider;
  updateStatus?: 'UPDATE_COMPLETE' | 'DELETE_COMPLETE';
  tags: Tag[];
}

/** The group's name, from its ARN (`...:autoScalingGroupName/<name>`) or the name itself. */
export function autoScalingGroupName(arnOrName: string): string {
  const at = arnOrName.indexOf(':autoScalingGroupName/');
  return at < 0 ? arnOrName : arnOrName.slice(at + ':autoScalingGroupName/'.length);
}

export class CapacityProviders {
  private readonly providers = new Map<string, StoredCapacityProvider>();
  private readonly arnPrefix: string;

  constructor(
    private readonly store: DurableStore<unknown>,
    options: { region: string; accountId: string },
  ) {
    this.arnPrefix = `arn:aws:ecs:${options.region}:${options.accountId}:capacity-provider/`;
    for (const value of store.values(KEY)) {
      const stored = value as StoredCapacityProvider;
      this.providers.set(stored.name, stored);
    }
    for (const name of FARGATE_PROVIDERS) {
      this.providers.set(name, { capacityProviderArn: `${this.arnPrefix}${name}`, name, status: 'ACTIVE', tags: [] });
    }
  }

  /** By name or ARN, ACTIVE or not. */
  find(identifier: string): StoredCapacityProvider | undefined {
    const name = identifier.startsWith(this.arnPrefix) ? identifier.slice(this.arnPrefix.length) : identifier;
    return this.providers.get(name);
  }

  byArn(arn: string): StoredCapacityProvider | undefined {
    const found = arn.startsWith(this.arnPrefix) ? this.find(arn) : undefined;
    return found?.status === 'ACTIVE' && found.autoScalingGroupProvider !== undefined ? found : undefined;
  }

  /** An ACTIVE provider by name, FARGATE and FARGATE_SPOT included. */
  active(name: string): StoredCapacityProvider | undefined {
    const found = this.find(name);
    return found?.status === 'ACTIVE' ? found : undefined;
  }

  async create(name: string, provider: AutoScalingGroupProvider, tags: Tag[]): Promise<StoredCapacityProvider> {
    if (!NAME.test(name) || /^(aws|ecs|fargate)/i.test(name)) {
      throw new InvalidParameterException(
        'The capacity provider name is not valid: up to 255 letters, numbers, underscores and hyphens, not beginning with "aws", "ecs" or "fargate".',
      );
    }
    if (this.providers.has(name)) {
      throw new ClientException(`The specified capacity provider ${name} already exists.`);
    }
    const group = autoScalingGroupName(provider.autoScalingGroupArn);
    const taken = [...this.providers.values()].find(
      (p) =>
        p.status === 'ACTIVE' &&
        p.autoScalingGroupProvider !== undefined &&
        autoScalingGroupName(p.autoScalingGroupProvider.autoScalingGroupArn) === group,
    );
    if (taken !== undefined) {
      throw new ClientException(
        `The specified Auto Scaling group is already in use by capacity provider ${taken.name}.`,
      );
    }
    const stored: StoredCapacityProvider = {
      capacityProviderArn: `${this.arnPrefix}${name}`,
      name,
      status: 'ACTIVE',
      autoScalingGroupProvider: provider,
      tags,
    };
    this.providers.set(name, stored);
    await this.store.put(`${KEY}${name}`, stored);
    return stored;
  }

  /** UpdateCapacityProvider: the group's settings (not the group) become `provider`'s. */
  async update(stored: StoredCapacityProvider, provider: AutoScalingGroupProvider): Promise<StoredCapacityProvider> {
    const updated: StoredCapacityProvider = {
      ...stored,
      autoScalingGroupProvider: provider,
      updateStatus: 'UPDATE_COMPLETE',
    };
    this.providers.set(stored.name, updated);
    await this.store.put(`${KEY}${stored.name}`, updated);
    return updated;
  }

  /** DeleteCapacityProvider: the caller has checked that no cluster uses it. */
  async delete(stored: StoredCapacityProvider): Promise<StoredCapacityProvider> {
    const deleted: StoredCapacityProvider = { ...stored, status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' };
    this.providers.set(stored.name, deleted);
    await this.store.put(`${KEY}${stored.name}`, deleted);
    return deleted;
  }

  /**
   * The provider a container instance is in: the ACTIVE one of the Auto Scaling group in its identity document,
   * else the one its `capacity-provider` attribute names.
   */
  providerOf(instance: { autoScalingGroup?: string; attributes: readonly { name: string; value?: string }[] }) {
    for (const p of this.providers.values()) {
      const asg = p.autoScalingGroupProvider;
      if (p.status !== 'ACTIVE' || asg === undefined) continue;
      if (instance.autoScalingGroup === autoScalingGroupName(asg.autoScalingGroupArn)) return p.name;
    }
    const named = instance.attributes.find((a) => a.name === 'capacity-provider')?.value;
    return named !== undefined && this.byArn(`${this.arnPrefix}${named}`) !== undefined ? named : undefined;
  }

  async setTags(stored: StoredCapacityProvider, tags: Tag[]): Promise<void> {
    const changed = { ...stored, tags };
    this.providers.set(stored.name, changed);
    await this.store.put(`${KEY}${stored.name}`, changed);
  }

  /** The CapacityProvider structure; tags only when asked for (include TAGS). */
  view(stored: StoredCapacityProvider, withTags: boolean) {
    const { tags, ...rest } = stored;
    return withTags ? { ...rest, tags } : rest;
  }

  /** Every provider in name order from the cursor, the built-in ones first (as ECS lists them). */
  page(maxResults: number, token: string | undefined): { names: string[]; nextToken?: string } {
    const all = [...FARGATE_PROVIDERS, ...[...this.providers.keys()].filter((n) => !n.startsWith('FARGATE')).sort()];
    let i = 0;
    if (token !== undefined) {
      const last = decodeCursor(token);
      i = all.indexOf(last) + 1;
      if (i === 0)
        throw new InvalidParameterException(
          'The nextToken is not valid: pass the nextToken of a previous page unchanged.',
        );
    }
    const names = all.slice(i, i + maxResults);
    return i + maxResults < all.length ? { names, nextToken: encodeCursor(names[names.length - 1]!) } : { names };
  }
}
