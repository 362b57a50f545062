import {
  booleanFromEnv,
  commaList,
  integerFromEnv,
  listFromEnv,
  positiveNumberFromEnv,
  requiredStringFromEnv,
  stringFromEnv,
} from '../../lib/env';

describe('environment readers', () => {
  it.each([
    ['a, b ,,c', ['a', 'b', 'c']],
    ['', []],
    [' , ', []],
  ])('commaList(%j)', (raw, list) => {
    expect(commaList(raw)).toEqual(list);
  });

  it('reads strings trimmed, blank as unset', () => {
    expect(stringFromEnv({ X: ' v ' }, 'X')).toBe('v');
    expect(stringFromEnv({ X: '  ' }, 'X')).toBeUndefined();
    expect(stringFromEnv({}, 'X')).toBeUndefined();
    expect(requiredStringFromEnv({ X: 'v' }, 'X')).toBe('v');
    expect(() => requiredStringFromEnv({ X: ' ' }, 'X')).toThrow('X is not set');
  });

  it('takes a list fallback only when the variable is unset', () => {
    expect(listFromEnv({}, 'L', ['*'])).toEqual(['*']);
    expect(listFromEnv({ L: '' }, 'L', ['*'])).toEqual([]);
    expect(listFromEnv({ L: 'a,b' }, 'L', ['*'])).toEqual(['a', 'b']);
    expect(listFromEnv({}, 'L')).toEqual([]);
  });

  it.each([
    ['true', true],
    ['1', true],
    [' FALSE ', false],
    ['0', false],
    ['', true],
  ])('booleanFromEnv(%j)', (raw, value) => {
    expect(booleanFromEnv({ B: raw }, 'B', true)).toBe(value);
  });

  it('refuses a boolean it cannot read', () => {
    expect(() => booleanFromEnv({ B: 'yes' }, 'B', false)).toThrow('B must be true or false, got "yes"');
  });

  it.each([
    [{ fallback: 5 }, '', 5],
    [{ fallback: 5 }, ' 12 ', 12],
    [{ fallback: 5, min: 0, max: 10 }, '0', 0],
  ])('integerFromEnv(%j, %j)', (range, raw, value) => {
    expect(integerFromEnv({ N: raw }, 'N', range)).toBe(value);
  });

  it.each([
    [{ fallback: 5 }, '1.5', 'N must be a positive integer, got "1.5"'],
    [{ fallback: 5 }, '0', 'N must be a positive integer, got "0"'],
    [{ fallback: 5, min: 0, max: 10 }, '11', 'N must be a whole number from 0 to 10, got "11"'],
    [{ fallback: 5, min: 0, max: 10 }, '-1', 'N must be a whole number from 0 to 10, got "-1"'],
    [{ fallback: 5, min: 2 }, '1', 'N must be a whole number of at least 2, got "1"'],
  ])('integerFromEnv(%j) refuses %j', (range, raw, message) => {
    expect(() => integerFromEnv({ N: raw }, 'N', range)).toThrow(message);
  });

  it('reads a positive number', () => {
    expect(positiveNumberFromEnv({}, 'S', 1)).toBe(1);
    expect(positiveNumberFromEnv({ S: '0.001' }, 'S', 1)).toBe(0.001);
    expect(() => positiveNumberFromEnv({ S: '0' }, 'S', 1)).toThrow('S must be a positive number, got "0"');
  });
});
