import { AwsError } from '../../../local/endpoint/errors';
import {
  memberReader,
  parseJsonObject,
  smithyRule,
  type Violation,
  validationMessage,
} from '../../../local/endpoint/members';

/** A service whose validation error carries the violation, so each case shows what the reader found. */
const reader = (emptyRequired: 'missing' | 'too-short' | 'allowed') =>
  memberReader({
    violation: (path: string, violation: Violation) => new AwsError('Invalid', `${path}: ${JSON.stringify(violation)}`),
    emptyRequired,
  });

const errorOf = (read: () => unknown) => {
  try {
    read();
  } catch (err) {
    return { code: (err as AwsError).code, message: (err as AwsError).message };
  }
  throw new Error('did not throw');
};

describe('memberReader', () => {
  const m = reader('missing');

  it('reads members of the right type, null as absent', () => {
    expect(m.optionalString({ a: 'x' }, 'a')).toBe('x');
    expect(m.optionalString({ a: null }, 'a')).toBeUndefined();
    expect(m.optionalInteger({ a: 3 }, 'a')).toBe(3);
    expect(m.optionalBoolean({ a: false }, 'a')).toBe(false);
    expect(m.optionalObject({ a: { b: 1 } }, 'a')).toEqual({ b: 1 });
    expect(m.optionalList({ a: [1] }, 'a')).toEqual([1]);
    expect(m.optionalStringList({ a: ['x'] }, 'a')).toEqual(['x']);
    expect(m.optionalObjectList({ a: [{}] }, 'a')).toEqual([{}]);
    expect(m.optionalEnum({ a: 'B' }, 'a', ['A', 'B'])).toBe('B');
  });

  it.each([
    ['a string', () => m.optionalString({ a: 1 }, 'a', 'x.a'), "'x.a' must be a string."],
    ['an integer', () => m.optionalInteger({ a: 1.5 }, 'a'), "'a' must be an integer."],
    ['a boolean', () => m.optionalBoolean({ a: 'true' }, 'a'), "'a' must be a boolean."],
    ['a structure', () => m.optionalObject({ a: [] }, 'a'), "'a' must be a structure."],
    ['a list', () => m.optionalList({ a: {} }, 'a'), "'a' must be a list."],
    ['a list of strings', () => m.optionalStringList({ a: [1] }, 'a'), "'a' must be a list of strings."],
    ['a list of structures', () => m.optionalObjectList({ a: [null] }, 'a'), "'a' must be a list of structures."],
  ])('answers SerializationException for a member that is not %s', (_what, read, message) => {
    expect(errorOf(read)).toEqual({ code: 'SerializationException', message });
  });

  it("names a structure in the service's words", () => {
    const sfn = memberReader({
      violation: () => new AwsError('X', 'x'),
      emptyRequired: 'allowed',
      structure: 'an object',
    });
    expect(errorOf(() => sfn.optionalObject({ a: 1 }, 'a')).message).toBe("'a' must be an object.");
  });

  it.each([
    ['missing', () => m.requiredString({}, 'a', 'x.a'), 'x.a: {"kind":"required"}'],
    ['empty (ECS)', () => m.requiredString({ a: '' }, 'a'), 'a: {"kind":"required"}'],
    [
      'empty (Step Functions)',
      () => reader('too-short').requiredString({ a: '' }, 'a'),
      'a: {"kind":"length","value":"","min":1}',
    ],
    [
      'too long',
      () => m.optionalString({ a: 'abc' }, 'a', { maxLength: 2 }),
      'a: {"kind":"length","value":"abc","max":2}',
    ],
    [
      'out of range',
      () => m.optionalInteger({ a: 0 }, 'a', { min: 1, max: 9 }),
      'a: {"kind":"range","value":0,"min":1,"max":9}',
    ],
    [
      'not allowed',
      () => m.optionalEnum({ a: 'C' }, 'a', ['A', 'B']),
      'a: {"kind":"enum","value":"C","allowed":["A","B"]}',
    ],
  ])("gives the service's hook a value that is %s", (_what, read, message) => {
    expect(errorOf(read)).toEqual({ code: 'Invalid', message });
  });

  it('bounds a list and requires one item of a required list', () => {
    expect(errorOf(() => m.optionalStringList({ a: ['x', 'y'] }, 'a', { maxItems: 1 }))).toEqual({
      code: 'Invalid',
      message: 'a: {"kind":"items","count":2,"max":1}',
    });
    expect(errorOf(() => m.requiredStringList({ a: [] }, 'a')).message).toBe('a: {"kind":"required"}');
    expect(errorOf(() => m.requiredStringList({}, 'a')).message).toBe('a: {"kind":"required"}');
    expect(m.requiredStringList({ a: ['x'] }, 'a', { maxItems: 1 })).toEqual(['x']);
  });

  it('takes an empty required string where the service allows it', () => {
    expect(reader('allowed').requiredString({ a: '' }, 'a')).toBe('');
  });
});

describe("Smithy's validation words", () => {
  it.each<[Violation, string]>([
    [{ kind: 'required' }, "Value null at 'p' failed to satisfy constraint: Member must not be null"],
    [
      { kind: 'length', value: '', min: 1, max: 64 },
      "Value '' at 'p' failed to satisfy constraint: Member must have length between 1 and 64",
    ],
    [
      { kind: 'length', value: 'abc', max: 2 },
      "Value 'abc' at 'p' failed to satisfy constraint: Member must have length less than or equal to 2",
    ],
    [
      { kind: 'range', value: 0, min: 1, max: 100 },
      "Value '0' at 'p' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      { kind: 'range', value: 101, min: 1, max: 100 },
      "Value '101' at 'p' failed to satisfy constraint: Member must have value less than or equal to 100",
    ],
    [
      { kind: 'enum', value: 'X', allowed: ['A', 'B'] },
      "Value 'X' at 'p' failed to satisfy constraint: Member must satisfy enum value set: [A, B]",
    ],
  ])('%j', (violation, message) => {
    expect(validationMessage('p', ...smithyRule(violation))).toBe(`1 validation error detected: ${message}`);
  });

  it('counts list items without echoing the list', () => {
    expect(validationMessage('p', ...smithyRule({ kind: 'items', count: 11, max: 10 }))).toBe(
      "1 validation error detected: Value at 'p' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  });

  it('leaves out a value AWS does not echo', () => {
    expect(validationMessage('p', 'Member must have length less than or equal to 10')).toBe(
      "1 validation error detected: Value at 'p' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  });
});

describe('parseJsonObject', () => {
  it.each([
    ['{"a":1}', { ok: true, value: { a: 1 } }],
    ['not json', { ok: false, reason: 'json' }],
    ['[1]', { ok: false, reason: 'object' }],
    ['null', { ok: false, reason: 'object' }],
    ['"text"', { ok: false, reason: 'object' }],
  ])('%s', (text, result) => {
    expect(parseJsonObject(text)).toEqual(result);
  });
});
