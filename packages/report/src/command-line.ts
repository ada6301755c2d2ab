import { parseArgs } from 'node:util';
import { errorFactory } from '@automl-ts/core';
import { resolveUserPath } from './paths.js';

interface OptionBase {
  /** One line for `--help`. */
  readonly description: string;
  /** Shown as the default in `--help` instead of `default` (e.g. a default computed from other options). */
  readonly defaultText?: string;
}

/** A text option. */
export interface StringOption extends OptionBase {
  readonly type: 'string';
  readonly default?: string;
}
/** A path option, resolved against the directory the command was typed in (see `resolveUserPath`). */
export interface PathOption extends OptionBase {
  readonly type: 'path';
  readonly default?: string;
}
/** An integer option. */
export interface IntegerOption extends OptionBase {
  readonly type: 'integer';
  readonly default?: number;
  /** @default no bound */
  readonly min?: number;
  /** @default no bound */
  readonly max?: number;
}
/** A real-number option. */
export interface NumberOption extends OptionBase {
  readonly type: 'number';
  readonly default?: number;
  /** Values must be greater than this. @default no bound */
  readonly greaterThan?: number;
  /** Values must be at least this. @default no bound */
  readonly min?: number;
}
/** A flag (`--resume`); false unless given. */
export interface BooleanOption extends OptionBase {
  readonly type: 'boolean';
}
/** One of a fixed set of names. */
export interface ChoiceOption<C extends string = string> extends OptionBase {
  readonly type: 'choice';
  readonly choices: readonly C[];
  readonly default?: C;
}

/** Any option of a {@link defineCommand} spec. */
export type OptionSpec =
  | StringOption
  | PathOption
  | IntegerOption
  | NumberOption
  | BooleanOption
  | ChoiceOption;

type ValueOf<O> = O extends BooleanOption
  ? boolean
  : O extends ChoiceOption<infer C>
    ? O extends { default: string }
      ? C
      : C | undefined
    : O extends IntegerOption | NumberOption
      ? O extends { default: number }
        ? number
        : number | undefined
      : O extends { default: string }
        ? string
        : string | undefined;

/** The parsed values of a spec, keyed by option name (`'max-minutes'`), typed by the spec. */
export type OptionValues<S extends Record<string, OptionSpec>> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** What {@link defineCommand} takes. */
export interface CommandSpec<S extends Record<string, OptionSpec>> {
  /** Source of error messages, e.g. `@automl-ts/example-few-shot`. */
  name: string;
  /** How to run it, e.g. `pnpm --filter @automl-ts/example-few-shot start -- [options]`. */
  usage: string;
  /** Paragraphs before the options in `--help`. */
  description: string;
  /** The options, in `--help` order. `help` is added. */
  options: S;
}

/** A command line parser with generated `--help`. */
export interface Command<S extends Record<string, OptionSpec>> {
  /** Parses `argv` (without node and the script; a `--` that pnpm passes is dropped); undefined for `--help`. */
  parse(argv: readonly string[]): OptionValues<S> | undefined;
  /** The `--help` text. */
  help(): string;
}

const placeholder = (option: OptionSpec) =>
  option.type === 'boolean'
    ? ''
    : option.type === 'choice'
      ? ` <${option.choices.join('|')}>`
      : option.type === 'path'
        ? ' <path>'
        : option.type === 'string'
          ? ' <text>'
          : ` <${option.type === 'integer' ? 'n' : 'x'}>`;

/**
 * A typed command line on `node:util` `parseArgs`: integers, numbers, choices, flags, and paths
 * resolved against the directory the user typed the command in; `--help` generated from the spec;
 * bad values rejected with the option and the value (`--shots -1` is read as a value, so the
 * message is "--shots must be an integer >= 1, got -1", not Node's "argument is ambiguous").
 *
 * @example
 * const command = defineCommand({
 *   name: '@automl-ts/example-x', usage: 'pnpm … start -- [options]', description: 'Does x.',
 *   options: {
 *     shots: { type: 'integer', min: 1, default: 1, description: 'support examples per class' },
 *     'data-dir': { type: 'path', description: 'data directory' },
 *   },
 * });
 * const args = command.parse(process.argv.slice(2)); // { shots: number; 'data-dir': string | undefined } or undefined
 */
export function defineCommand<const S extends Record<string, OptionSpec>>(spec: CommandSpec<S>): Command<S> {
  const fail = errorFactory(spec.name);
  const entries = Object.entries(spec.options) as [string, OptionSpec][];
  const help = () => {
    const rows = entries.map(([name, option]) => {
      const flag = `--${name}${placeholder(option)}`;
      const fallback =
        option.defaultText ??
        (option.type !== 'boolean' && option.default !== undefined ? String(option.default) : undefined);
      return [
        flag,
        `${option.description}${fallback === undefined ? '' : ` (default ${fallback})`}`,
      ] as const;
    });
    rows.push(['--help', 'this text']);
    const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)) + 2);
    const lines = rows.map(([flag, text]) =>
      flag.length + 2 > width ? `  ${flag}\n  ${' '.repeat(width)}${text}` : `  ${flag.padEnd(width)}${text}`,
    );
    return `${spec.description.trim()}\n\n  ${spec.usage}\n\nOptions\n${lines.join('\n')}\n`;
  };
  const parse = (argv: readonly string[]): OptionValues<S> | undefined => {
    const takesValue = new Set(entries.filter(([, o]) => o.type !== 'boolean').map(([name]) => name));
    // `--shots -1`: join a dash-led value to its option so parseArgs reads it as the value.
    const tokens: string[] = [];
    const input = argv[0] === '--' ? argv.slice(1) : [...argv];
    for (let i = 0; i < input.length; i++) {
      const token = input[i] as string;
      const next = input[i + 1];
      if (token === '--') continue;
      const isOption = (t: string) => {
        const name = t.replace(/^--/, '').split('=')[0] as string;
        return t.startsWith('--') && (name in spec.options || name === 'help');
      };
      if (takesValue.has(token.slice(2)) && next?.startsWith('-') && !isOption(next)) {
        tokens.push(`${token}=${next}`);
        i += 1;
      } else tokens.push(token);
    }
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({
        args: tokens,
        strict: true,
        allowPositionals: false,
        options: {
          ...Object.fromEntries(
            entries.map(([name, option]) => [
              name,
              { type: option.type === 'boolean' ? 'boolean' : 'string' },
            ]),
          ),
          help: { type: 'boolean' },
        } as Record<string, { type: 'string' | 'boolean' }>,
      }).values as Record<string, string | boolean | undefined>;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: string }).code;
      const option = /'(-[^' ]+)/.exec(message)?.[1];
      if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
        throw fail(`unknown option ${option ?? message}; --help lists the options`);
      if (
        code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' &&
        (message.includes('argument missing') || message.includes('ambiguous'))
      )
        throw fail(`${option ?? 'an option'} needs a value (argument missing)`);
      if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
        throw fail(`unexpected argument ${/'([^']+)'/.exec(message)?.[1] ?? message}; options start with --`);
      throw fail(message, error);
    }
    if (values.help === true) return undefined;
    const out: Record<string, unknown> = {};
    for (const [name, option] of entries) {
      const text = values[name];
      if (option.type === 'boolean') {
        out[name] = text === true;
        continue;
      }
      if (text === undefined || typeof text === 'boolean') {
        out[name] =
          option.type === 'path' && option.default !== undefined
            ? resolveUserPath(option.default)
            : option.default;
        continue;
      }
      out[name] = convert(name, option, text, fail);
    }
    return out as OptionValues<S>;
  };
  return { parse, help };
}

function convert(
  name: string,
  option: Exclude<OptionSpec, BooleanOption>,
  text: string,
  fail: (message: string) => Error,
): string | number {
  const flag = `--${name}`;
  switch (option.type) {
    case 'string':
      return text;
    case 'path':
      if (text === '') throw fail(`${flag} must be a path, got ""`);
      return resolveUserPath(text);
    case 'choice':
      if (!option.choices.includes(text))
        throw fail(`${flag} must be one of ${option.choices.join(', ')}, got "${text}"`);
      return text;
    case 'integer': {
      const value = text.trim() === '' ? Number.NaN : Number(text);
      const bounds = `${option.min === undefined ? '' : ` >= ${option.min}`}${option.max === undefined ? '' : ` <= ${option.max}`}`;
      if (
        !Number.isInteger(value) ||
        (option.min !== undefined && value < option.min) ||
        (option.max !== undefined && value > option.max)
      )
        throw fail(`${flag} must be an integer${bounds}, got "${text}"`);
      return value;
    }
    case 'number': {
      const value = text.trim() === '' ? Number.NaN : Number(text);
      const bound =
        option.greaterThan !== undefined
          ? ` > ${option.greaterThan}`
          : option.min !== undefined
            ? ` >= ${option.min}`
            : '';
      if (
        !Number.isFinite(value) ||
        (option.greaterThan !== undefined && value <= option.greaterThan) ||
        (option.min !== undefined && value < option.min)
      )
        throw fail(`${flag} must be a number${bound}, got "${text}"`);
      return value;
    }
  }
}
