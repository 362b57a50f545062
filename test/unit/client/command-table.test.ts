/**
 * The command table (client/command-table.ts) on a small CLI of its own, and the berth help text it
 * generates.
 */
import { parseCommandLine, USAGE } from '../../../client/cli';
import {
  type Cli,
  commandsFor,
  flag,
  integer,
  parseWith,
  seconds,
  text,
  upperCased,
  usageOf,
} from '../../../client/command-table';

const command = commandsFor<string[]>();
const global = { verbose: flag('verbose', 'say more') };
const cli: Cli<string[], typeof global> = {
  program: 'dock',
  global,
  aliases: { b: 'boats' },
  footer: 'Exit codes: 0 or 2.',
  commands: [
    command({
      words: 'sail',
      summary: 'leave port',
      arg: { name: 'boat', value: '<boat>', what: 'a boat' },
      options: {
        watch: flag('watch', 'follow the voyage'),
        timeoutSeconds: seconds('timeout', '<seconds>', 'stop following', { requires: 'watch' }),
        crew: integer('crew', '<n>'),
        wind: upperCased<'N' | 'S'>('wind', 'N|S'),
      },
      action: () => 0,
    }),
    command({
      words: 'boats list',
      isDefault: true,
      summary: 'the boats',
      options: { prefix: text('prefix', '<p>') },
      action: () => 0,
    }),
    command({
      words: 'boats sink',
      summary: 'sink one',
      arg: { name: 'boat', value: '<boat>', what: 'a boat' },
      action: () => 0,
    }),
    command({ words: 'help', summary: 'this text', action: () => 0 }),
  ],
};

const read = (argv: string[]) => {
  const { command, params, global } = parseWith(cli, argv);
  return { name: command.words, params, global };
};

describe('parseWith', () => {
  it.each<[string, string[], object]>([
    [
      'typed values, absent ones left out',
      ['sail', 'ark', '--crew', '3', '--wind', 's'],
      { name: 'sail', params: { boat: 'ark', watch: false, crew: 3, wind: 'S' } },
    ],
    ['a group word alone', ['boats'], { name: 'boats list', params: {} }],
    ['an alias', ['b', 'sink', 'ark'], { name: 'boats sink', params: { boat: 'ark' } }],
    ['a global option', ['b', '--verbose'], { name: 'boats list', global: { verbose: true } }],
    ['no words', [], { name: 'help' }],
    ['--help over everything else', ['sail', '--crew', 'x', '--help'], { name: 'help' }],
  ])('reads %s', (_name, argv, expected) => {
    expect(read(argv)).toMatchObject(expected);
  });

  it('leaves absent values out of the parameters', () => {
    expect(read(['sail', 'ark']).params).toEqual({ boat: 'ark', watch: false });
  });

  it.each<[string, string[], string]>([
    ['an unknown word', ['fly'], 'Unknown command: fly.'],
    ['an unknown word of a group', ['b', 'paint'], 'Unknown command: dock boats paint.'],
    ['another command its option', ['boats', '--crew', '2'], '--crew does not apply to dock boats list.'],
    ['an option without the one it needs', ['sail', 'ark', '--timeout', '5'], '--timeout applies to --watch.'],
    ['a missing argument', ['sail'], 'dock sail needs a boat.'],
    ['two arguments', ['b', 'sink', 'a', 'b'], 'dock boats sink takes one argument (a boat), got: a b.'],
    ['an argument where none is taken', ['b', 'list', 'x'], 'dock boats list takes no arguments, got: x.'],
    ['a value of the wrong type', ['sail', 'ark', '--crew', '2.5'], '--crew must be an integer, not "2.5".'],
  ])('refuses %s', (_name, argv, message) => {
    expect(() => read(argv)).toThrow(message);
  });

  it('refuses a table that declares one flag two ways', () => {
    const twice: Cli<string[], typeof global> = {
      ...cli,
      commands: [
        ...cli.commands,
        command({ words: 'dive', summary: '', options: { crew: flag('crew', '') }, action: () => 0 }),
      ],
    };
    expect(() => parseWith(twice, ['boats'])).toThrow('--crew is declared twice, differently.');
  });
});

describe('usageOf', () => {
  it('lists every command, its argument and options, the global options and aliases', () => {
    expect(usageOf(cli)).toBe(
      [
        'Usage: dock <command> [options]',
        '',
        'Commands:',
        '  sail <boat>                   leave port',
        '      --watch                   follow the voyage',
        '      --timeout <seconds>       stop following (with --watch)',
        '      --crew <n>',
        '      --wind N|S',
        '  boats [list]                  the boats',
        '      --prefix <p>',
        '  boats sink <boat>             sink one',
        '  help                          this text',
        '',
        'Options for every command:',
        '  --verbose                     say more',
        '  -h, --help                    this text',
        '',
        'b is short for boats.',
        '',
        'Exit codes: 0 or 2.',
        '',
      ].join('\n'),
    );
  });

  it("gives berth's help every command and option, within 100 columns", () => {
    for (const words of ['run <taskDefinition>', 'runs [list]', 'runs wait <runId>', 'task-definitions [list]']) {
      expect(USAGE).toContain(`  ${words}`);
    }
    for (const option of [
      '--idempotency-key <key>',
      '--family-prefix <prefix>',
      '--next-token <token>',
      '-h, --help',
    ]) {
      expect(USAGE).toContain(option);
    }
    expect(Math.max(...USAGE.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
  });

  it('is what berth help and berth --help print', () => {
    expect(parseCommandLine(['help']).command).toEqual({ name: 'help' });
    expect(parseCommandLine(['run', 'x', '--wait', '--help']).command).toEqual({ name: 'help' });
  });
});
