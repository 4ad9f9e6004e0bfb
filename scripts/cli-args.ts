// One typed command-line parser for every script and benchmark, on node:util's parseArgs: declared flags only
// (an unknown flag or a bad number is an error naming the flag, with the usage), numbers and comma lists
// converted, `--help` prints the usage and the flags.
import { parseArgs } from 'node:util';

type FlagType = 'string' | 'number' | 'boolean' | 'list';

interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean | readonly string[];
}

type ValueOf<T extends FlagType> = T extends 'number' ? number : T extends 'boolean' ? boolean : T extends 'list' ? string[] : string;

/** Flags with a default (and booleans, false when absent) are always set; the others may be undefined. */
export type ArgValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]['type']> : S[K]['type'] extends 'boolean' ? boolean : ValueOf<S[K]['type']> | undefined;
};

export class ArgsError extends Error {}

/**
 * Parses `argv` against `spec`. With `positionals: true` the words that are not flags come back in order (a CLI's
 * files, a benchmark's Dawn toggles); otherwise a stray word is an error.
 */
export function cliArgs<const S extends Record<string, FlagSpec>>(
  usage: string,
  spec: S,
  options: { argv?: string[]; positionals?: boolean } = {},
): ArgValues<S> & { positionals: string[] } {
  const argv = options.argv ?? process.argv.slice(2);
  const help = (): string =>
    [usage, '', ...Object.entries(spec).map(([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ` <${s.type}>`}  ${s.help}${s.default !== undefined ? ` (default ${String(s.default)})` : ''}`)].join('\n');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help());
    process.exit(0);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(spec).map(([k, s]) => [k, { type: s.type === 'boolean' ? 'boolean' : 'string' }])) as Record<string, { type: 'string' | 'boolean' }>,
      allowPositionals: options.positionals === true,
      strict: true,
    });
  } catch (e) {
    throw new ArgsError(`${(e as Error).message}\n\n${help()}`);
  }
  const out: Record<string, unknown> = { positionals: parsed.positionals };
  for (const [k, s] of Object.entries(spec)) {
    const raw = parsed.values[k] as string | boolean | undefined;
    if (raw === undefined) {
      out[k] = s.default !== undefined ? (Array.isArray(s.default) ? [...s.default] : s.default) : s.type === 'boolean' ? false : undefined;
    } else if (s.type === 'number') {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n)) throw new ArgsError(`--${k} must be a number, got '${String(raw)}'\n\n${help()}`);
      out[k] = n;
    } else if (s.type === 'list') {
      out[k] = String(raw).split(',').filter((x) => x.length > 0);
    } else {
      out[k] = raw;
    }
  }
  return out as ArgValues<S> & { positionals: string[] };
}
