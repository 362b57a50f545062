import { parseTaskCpu, parseTaskMemory, parseWholeNumber } from '../../../lib/task-definition/units';

describe('parseWholeNumber', () => {
  it.each<[number | string, number]>([
    [0, 0],
    [100, 100],
    ['100', 100],
    ['0', 0],
    [-5, -5], // a number, even negative; callers set the range
  ])('reads %p as %p', (value, expected) => {
    expect(parseWholeNumber(value)).toBe(expected);
  });

  it.each<[number | string]>([[1.5], ['1.5'], ['-1'], [' 100'], ['1e3'], [''], ['abc'], [2 ** 53]])(
    'refuses %p',
    (value) => {
      expect(parseWholeNumber(value)).toBeUndefined();
    },
  );
});

describe('parseTaskCpu', () => {
  it.each<[number | string, number]>([
    [512, 512],
    ['256', 256],
    ['1 vCPU', 1024],
    ['0.5 vcpu', 512],
    ['0.25 VCPU', 256],
    ['2vcpu', 2048],
    ['4 vCPUs', 4096],
    [' 1 vCPU ', 1024],
    ['1024.0', 1024],
    [128, 128], // the EC2 minimum, 0.125 vCPU
    ['192 vCPU', 196608], // the EC2 maximum
  ])('reads %p as %p CPU units', (value, expected) => {
    expect(parseTaskCpu(value)).toBe(expected);
  });

  it.each<[number | string]>([
    ['1.5'], // a fraction of a CPU unit
    ['0.1 vCPU'], // 102.4 CPU units
    [127],
    ['193 vCPU'],
    [0],
    [-256],
    [1.5],
    ['1 GB'],
    ['one vCPU'],
    [''],
  ])('refuses %p', (value) => {
    expect(parseTaskCpu(value)).toBeUndefined();
  });
});

describe('parseTaskMemory', () => {
  it.each<[number | string, number]>([
    [512, 512],
    ['512', 512],
    ['2 GB', 2048],
    ['2gb', 2048],
    ['0.5 GB', 512],
    ['1 GiB', 1024],
    ['512 MiB', 512],
    ['512 mb', 512],
    ['1.5 GB', 1536],
  ])('reads %p as %p MiB', (value, expected) => {
    expect(parseTaskMemory(value)).toBe(expected);
  });

  it.each<[number | string]>([['0.1 GB'], ['2 TB'], ['1 vCPU'], [0], [-1], ['2.5'], [2 ** 31], ['lots']])(
    'refuses %p',
    (value) => {
      expect(parseTaskMemory(value)).toBeUndefined();
    },
  );
});
