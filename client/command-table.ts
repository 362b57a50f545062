/**
 * A CLI as a table of commands, read with Node's `util.parseArgs`. Each command declares once its
 * words, its argument, its options (how a value is read and checked), how its input becomes its
 * parameters, and its action; the help text, the checks of the command line and the parsed
 * command all come from the table, so a command is never spread over several places.
 *
 * parseArgs reads the flags (it knows every option of every command, so a flag of another command
 * gets a "does not apply" message rather than "unknown"); the table adds what it cannot say: which
 * command a flag belongs to, the words and the argument, typed values, and options that need another.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** One option: its flag, how parseArgs reads it, and how its raw value becomes `T` (or is refused). */
export interface Option<T> {
  flag: string;
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help text. */
  value?: string;
  help?: string;
  /** Another flag of the same command that this one only makes sense with. */
  requires?: string;
  read: (raw: string | boolean | undefined) => T;
}

export type Options = Record<string, Option<unknown>>;
type ValueOf<O> = O extends Option<infer T> ? T : never;
export type Values<O extends Options> = { [K in keyof O]: ValueOf<O[K]> };

interface Described {
  short?: string;
  requires?: string;
}

export const flag = (name: string, help: string, more: Described = {}): Option<boolean> => ({
  flag: name,
  type: 'boolean',
  help,
  ...more,
  read: (raw) => raw === true,
});

export const text = (name: string, value: string, help?: string, more: Described = {}): Option<string | undefined> => ({
  flag: name,
  type: 'string',
  value,
  ...(help !== undefined && { help }),
  ...more,
  read: (raw) => raw as string | undefined,
});

export const integer = (name: string, value: string, help?: string): Option<number | undefined> => ({
  ...text(name, value, help),
  read: (raw) => {
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
      throw new UsageError(`--${name} must be an integer, not "${raw}".`);
    }
    return Number(raw);
  },
});

export const seconds = (
  name: string,
  value: string,
  help?: string,
  more: Described = {},
): Option<number | undefined> => ({
  ...text(name, value, help, more),
  read: (raw) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new UsageError(`--${name} must be a positive number of seconds, not "${raw}".`);
    }
    return n;
  },
});

/**
 * A word the API knows (a status, a launch type), given in any case. The API stays the judge of
 * which words it takes (its 400 names them), so the CLI only upper-cases: a new one works at once.
 */
export const upperCased = <T extends string>(name: string, value: string, help?: string): Option<T | undefined> => ({
  ...text(name, value, help),
  read: (raw) => (typeof raw === 'string' ? (raw.toUpperCase() as T) : undefined),
});

/** The command's one positional argument. */
export interface Arg<N extends string> {
  name: N;
  /** Its placeholder in the help text. */
  value: string;
  /** What it is, in messages: "berth runs get needs a run id." */
  what: string;
  /** May be left out (the parameter is then absent). */
  optional?: boolean;
}

export type Input<O extends Options, N extends string> = Values<O> & { [K in N]: string };

interface Spec<C, W extends string, O extends Options, N extends string, P> {
  /** The words that name the command: `run`, `runs get`. */
  words: W;
  /** The command its group's word alone runs (`berth runs` is `berth runs list`). */
  isDefault?: boolean;
  summary: string;
  arg?: Arg<N>;
  options?: O;
  /** Input to parameters, for what the options alone cannot say; throws UsageError. */
  parse?: (input: Input<O, N>) => P;
  action: (params: P, context: C) => Promise<number> | number;
}

/** A command of the table; `P` its parameters (method syntax, so a table can hold every P). */
export interface Command<C, W extends string = string, P = object> {
  words: W;
  isDefault: boolean;
  summary: string;
  arg?: Arg<string>;
  options: Options;
  parse(input: Record<string, unknown>): P;
  action(params: P, context: C): Promise<number> | number;
}

/** The command builder for a CLI whose actions take `C`. */
export const commandsFor =
  <C>() =>
  <const W extends string, O extends Options = Record<never, never>, N extends string = never, P = Input<O, N>>(
    spec: Spec<C, W, O, N, P>,
  ): Command<C, W, P> => ({
    words: spec.words,
    isDefault: spec.isDefault === true,
    summary: spec.summary,
    ...(spec.arg !== undefined && { arg: spec.arg }),
    options: spec.options ?? {},
    parse: (input) => (spec.parse ?? ((i) => i as P))(input as Input<O, N>),
    action: (params, context) => spec.action(params, context),
  });

/** What a parsed command line is: the command's name and its parameters. */
export type Parsed<X> = X extends Command<unknown, infer W, infer P> ? { name: W } & P : never;

export interface Cli<C, G extends Options> {
  program: string;
  commands: readonly Command<C>[];
  /** Options of every command; `-h, --help` is added. */
  global: G;
  /** Words that stand for a group's word (`td` for `task-definitions`). */
  aliases?: Record<string, string>;
  /** Text after the options in the help. */
  footer?: string;
}

const HELP = flag('help', 'this text', { short: 'h' });

/** Every flag as parseArgs reads it; two commands may share a flag only if parseArgs reads it alike. */
function parseArgsOptions(cli: Cli<unknown, Options>) {
  const all: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  const options = [HELP, ...Object.values(cli.global), ...cli.commands.flatMap((c) => Object.values(c.options))];
  for (const o of options) {
    const known = all[o.flag];
    if (known !== undefined && (known.type !== o.type || known.short !== o.short)) {
      throw new Error(`--${o.flag} is declared twice, differently.`);
    }
    all[o.flag] = { type: o.type, ...(o.short !== undefined && { short: o.short }) };
  }
  return all;
}

function commandOf<C>(cli: Cli<C, Options>, words: string[]): { command: Command<C>; args: string[] } {
  const find = (name: string) => cli.commands.find((c) => c.words === name);
  const [word, sub, ...rest] = words;
  if (word === undefined) return { command: find('help') as Command<C>, args: [] };
  const first = cli.aliases?.[word] ?? word;
  const single = find(first);
  if (single !== undefined) return { command: single, args: words.slice(1) };
  const group = cli.commands.filter((c) => c.words.startsWith(`${first} `));
  if (group.length === 0) throw new UsageError(`Unknown command: ${word}.`);
  const command = sub === undefined ? group.find((c) => c.isDefault) : find(`${first} ${sub}`);
  if (command === undefined) throw new UsageError(`Unknown command: ${cli.program} ${first} ${sub}.`);
  return { command, args: rest };
}

function argOf(program: string, command: Command<unknown>, args: string[]): Record<string, string> {
  const name = `${program} ${command.words}`;
  if (command.arg === undefined) {
    if (args.length > 0) throw new UsageError(`${name} takes no arguments, got: ${args.join(' ')}.`);
    return {};
  }
  const { what } = command.arg;
  if (args.length === 0 && command.arg.optional) return {};
  if (args.length === 0) throw new UsageError(`${name} needs ${what}.`);
  if (args.length > 1) throw new UsageError(`${name} takes one argument (${what}), got: ${args.join(' ')}.`);
  return { [command.arg.name]: args[0] as string };
}

/** Reads each option's value; an absent one is left out, as the API's optional fields are. */
function valuesOf(options: Options, raw: Record<string, string | boolean | undefined>) {
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(options)) {
    const value = option.read(raw[option.flag]);
    if (value !== undefined) values[key] = value;
  }
  return values;
}

/**
 * Reads a command line (without `node` and the script) against the table: the command, its
 * parameters, and the global options' values. No words, `help` or `--help` give the `help`
 * command. Throws UsageError.
 */
export function parseWith<C, G extends Options>(cli: Cli<C, G>, argv: readonly string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseArgsOptions(cli), allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const raw = parsed.values as Record<string, string | boolean | undefined>;
  const global = valuesOf(cli.global, raw) as Values<G>;
  const { command, args } =
    raw.help === true || parsed.positionals[0] === 'help'
      ? { command: commandOf(cli, []).command, args: [] }
      : commandOf(cli, parsed.positionals);
  if (command.words === 'help') return { command, params: {}, global };

  const own = new Map(Object.values(command.options).map((o) => [o.flag, o]));
  const everywhere = new Set([HELP.flag, ...Object.values(cli.global).map((o) => o.flag)]);
  for (const name of Object.keys(raw)) {
    if (!own.has(name) && !everywhere.has(name)) {
      throw new UsageError(`--${name} does not apply to ${cli.program} ${command.words}.`);
    }
  }
  const arg = argOf(cli.program, command, args);
  for (const option of own.values()) {
    if (option.requires !== undefined && raw[option.flag] !== undefined && raw[option.requires] === undefined) {
      throw new UsageError(`--${option.flag} applies to --${option.requires}.`);
    }
  }
  const params = command.parse({ ...arg, ...valuesOf(command.options, raw) });
  return { command, params, global };
}

const COLUMN = 32;
const row = (left: string, right: string | undefined) => {
  if (right === undefined || right === '') return left;
  return left.length <= COLUMN - 2 ? `${left.padEnd(COLUMN)}${right}` : `${left}\n${' '.repeat(COLUMN)}${right}`;
};
const optionRow = (indent: string, o: Option<unknown>) => {
  const name = `${o.short !== undefined ? `-${o.short}, ` : ''}--${o.flag}${o.value !== undefined ? ` ${o.value}` : ''}`;
  const help = [o.help, o.requires !== undefined ? `(with --${o.requires})` : undefined].filter(Boolean).join(' ');
  return row(`${indent}${name}`, help);
};

/** The help text, from the table. */
export function usageOf<C, G extends Options>(cli: Cli<C, G>): string {
  const lines = [`Usage: ${cli.program} <command> [options]`, '', 'Commands:'];
  for (const command of cli.commands) {
    const [group, ...sub] = command.words.split(' ');
    const words = command.isDefault ? `${group} [${sub.join(' ')}]` : command.words;
    const arg =
      command.arg === undefined ? '' : command.arg.optional ? ` [${command.arg.value}]` : ` ${command.arg.value}`;
    lines.push(row(`  ${words}${arg}`, command.summary));
    for (const option of Object.values(command.options)) lines.push(optionRow('      ', option));
  }
  lines.push('', 'Options for every command:');
  for (const option of [...Object.values(cli.global), HELP]) lines.push(optionRow('  ', option));
  const aliases = Object.entries(cli.aliases ?? {}).map(([alias, word]) => `${alias} is short for ${word}.`);
  if (aliases.length > 0) lines.push('', ...aliases);
  if (cli.footer !== undefined) lines.push('', cli.footer.trimEnd());
  return `${lines.join('\n')}\n`;
}
