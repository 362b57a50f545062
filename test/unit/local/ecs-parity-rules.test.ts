/**
 * Rules of issue 13's local ECS work without a server, as tables of cases: the region of a SigV4 signature, the
 * resources an instance type registers, capacity provider strategies, and attribute names and values.
 */
import { instanceTypeResources } from '../../../local/ecs/api-instances';
import { chooseProvider } from '../../../local/ecs/api-tasks';
import { attributeList, capacityProviderStrategy } from '../../../local/ecs/input';
import { signedRegion } from '../../../local/endpoint/server';

describe('signedRegion', () => {
  it.each<[string | undefined, string | undefined]>([
    [
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=abc',
      'eu-west-1',
    ],
    ['AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/ecs/aws4_request,SignedHeaders=x,Signature=y', 'us-east-1'],
    ['Bearer token', undefined],
    [undefined, undefined],
  ])('%s -> %s', (header, region) => {
    expect(signedRegion(header)).toBe(region);
  });
});

describe('instanceTypeResources', () => {
  it.each<[string, { cpu: number; memory: number } | undefined]>([
    ['m5.large', { cpu: 2048, memory: 7680 }],
    ['m6i.xlarge', { cpu: 4096, memory: 15360 }],
    ['c5.xlarge', { cpu: 4096, memory: 7680 }],
    ['r5.large', { cpu: 2048, memory: 15360 }],
    ['t3.micro', { cpu: 2048, memory: 768 }],
    ['x2iedn.large', undefined],
    ['m5.huge', undefined],
  ])('%s', (type, expected) => {
    expect(instanceTypeResources(type)).toEqual(expected);
  });
});

describe('capacity provider strategies', () => {
  it('defaults weight and base to 0 and picks the provider with a base, else the heaviest', () => {
    const strategy = capacityProviderStrategy(
      {
        s: [
          { capacityProvider: 'a', weight: 1 },
          { capacityProvider: 'b', weight: 3 },
        ],
      },
      's',
    )!;
    expect(strategy).toEqual([
      { capacityProvider: 'a', weight: 1, base: 0 },
      { capacityProvider: 'b', weight: 3, base: 0 },
    ]);
    expect(chooseProvider(strategy)).toBe('b');
    expect(chooseProvider([{ capacityProvider: 'a', weight: 0, base: 2 }, ...strategy.slice(1)])).toBe('a');
  });

  it.each<[string, unknown[], string]>([
    [
      'two bases',
      [
        { capacityProvider: 'a', base: 1 },
        { capacityProvider: 'b', base: 1 },
      ],
      'Only one capacity provider in a capacity provider strategy can have a base defined.',
    ],
    [
      'weight over 1000',
      [{ capacityProvider: 'a', weight: 1001 }],
      "'s[0].weight' must be between 0 and 1000; got 1001.",
    ],
    ['no provider', [{ weight: 1 }], "'s[0].capacityProvider' is required."],
    [
      'a provider twice',
      [{ capacityProvider: 'a' }, { capacityProvider: 'a' }],
      "'s' names a capacity provider more than once.",
    ],
  ])('refuses %s', (_, s, message) => {
    expect(() => capacityProviderStrategy({ s }, 's')).toThrow(message);
  });
});

describe('attributeList', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['a custom name and value', { name: 'stack', value: 'blue-1' }, true],
    ['slashes, periods and a value with spaces, @ and :', { name: 'a/b.c\\d', value: 'x y@z:1' }, true],
    ['no value', { name: 'gpu' }, true],
    ['a space in the name', { name: 'bad name' }, false],
    ['a name of 129 characters', { name: 'n'.repeat(129) }, false],
    ['a value starting with a space', { name: 'v', value: ' x' }, false],
    ['a value with a comma', { name: 'v', value: 'a,b' }, false],
    ['another target type', { name: 'v', targetType: 'task' }, false],
  ])('%s', (_, attribute, ok) => {
    const read = () => attributeList({ attributes: [attribute] }, 'attributes');
    if (ok) expect(read()).toEqual([attribute]);
    else expect(read).toThrow();
  });
});
