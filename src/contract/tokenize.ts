// The one tokenizer of every `mfld` command: `--flag value`, `--flag=value`, switches and
// their `--no-` forms, list flags, all looked up in the field table (fields.ts); then each
// value parsed by its field's kind. Messages name the flag as typed and say the range.
import { ConfigError, showRaw } from './field-kinds';
import {
  FIELD_KEYS,
  fieldOf,
  fieldsOf,
  flagOf,
  type Command,
  type FieldKey,
  type ValueOf,
} from './fields';

/** One value as the user gave it; `name` is how they named the field (`--tau`, `"tau"`). */
export interface GivenValue {
  readonly key: FieldKey;
  readonly name: string;
  readonly raw: unknown;
}

/** The parsed values by field, each with the name the user gave it. */
export type ParsedValues = Map<FieldKey, { readonly name: string; readonly value: unknown }>;

interface Flag {
  readonly key: FieldKey;
  /** The value of a switch (`--bias` true, `--no-bias` false). */
  readonly switchValue?: boolean;
}

/** Every flag of `command`, with the field it sets. */
export function flagsOf(command: Command): Map<string, Flag> {
  const flags = new Map<string, Flag>();
  for (const key of fieldsOf(command)) {
    const { kind, negatable } = fieldOf(key);
    const flag = flagOf(key);
    flags.set(flag, kind.isSwitch ? { key, switchValue: true } : { key });
    if (negatable) flags.set(`--no-${flag.slice(2)}`, { key, switchValue: false });
  }
  return flags;
}

/** The field of another command that a flag names, if any: "not taken" reads better than "unknown". */
function otherCommandField(name: string): FieldKey | undefined {
  return FIELD_KEYS.find((key) => flagOf(key) === name);
}

/**
 * The values `args` give for the flags of `command`, in order, unparsed. `help` is set, and
 * nothing else read, when `--help` or `-h` is anywhere.
 */
export function tokenize(
  args: readonly string[],
  command: Command,
): { given: GivenValue[]; help: boolean } {
  if (args.includes('--help') || args.includes('-h')) return { given: [], help: true };
  const flags = flagsOf(command);
  const given: GivenValue[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (!token.startsWith('--')) {
      throw new ConfigError(`unexpected argument ${showRaw(token)} (flags start with --)`, {
        kind: 'unknown',
      });
    }
    const equals = token.indexOf('=');
    const name = equals < 0 ? token : token.slice(0, equals);
    const inline = equals < 0 ? undefined : token.slice(equals + 1);
    const flag = flags.get(name);
    if (!flag) {
      const other = otherCommandField(name);
      if (other !== undefined) {
        throw new ConfigError(`${name} is not taken by mfld ${command}`, {
          field: other,
          kind: 'unknown',
        });
      }
      throw unknownNameError('flag', name, [...flags.keys()]);
    }
    const { kind } = fieldOf(flag.key);
    if (flag.switchValue !== undefined) {
      if (inline !== undefined) {
        throw new ConfigError(`${name} takes no value, got ${showRaw(inline)}`, {
          field: flag.key,
          kind: 'value',
        });
      }
      given.push({ key: flag.key, name, raw: flag.switchValue });
      continue;
    }
    // A value may start with one dash (--prior-std -1, a user error caught by the range).
    const takesNext = (): boolean => args[i + 1] !== undefined && !args[i + 1]!.startsWith('--');
    let raw = inline;
    if (raw === undefined && takesNext()) raw = args[++i];
    while (kind.isList && takesNext()) raw = `${raw}\n${args[++i]}`;
    if (raw === undefined || raw === '') {
      throw new ConfigError(`${name} needs a value: ${kind.range}`, {
        field: flag.key,
        kind: 'value',
      });
    }
    given.push({ key: flag.key, name, raw });
  }
  return { given, help: false };
}

/** Parses each given value and refuses fields given twice; returns the values by key. */
export function parseGiven(given: readonly GivenValue[]): ParsedValues {
  const values: ParsedValues = new Map();
  for (const { key, name, raw } of given) {
    const earlier = values.get(key);
    if (earlier) {
      const also = earlier.name === name ? '' : ` (also as ${earlier.name})`;
      throw new ConfigError(`${name} is given twice${also}`, { field: key, kind: 'twice' });
    }
    const { kind } = fieldOf(key);
    const value = kind.parse(raw);
    if (value === undefined) {
      throw new ConfigError(`${name} must be ${kind.range}, got ${showRaw(raw)}`, {
        field: key,
        kind: 'range',
      });
    }
    values.set(key, { name, value });
  }
  return values;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function unknownNameError(
  what: string,
  name: string,
  known: readonly string[],
): ConfigError {
  let best = '';
  let bestDistance = Infinity;
  const allowed = Math.max(2, Math.floor(name.length / 3));
  for (const candidate of known) {
    // The distance is at least the difference in length: skipping the names that cannot be
    // close keeps a huge unknown name from costing its length times every known name's.
    if (Math.abs(name.length - candidate.length) > allowed) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const close = bestDistance <= allowed;
  return new ConfigError(
    `unknown ${what} ${showRaw(name)}${close ? `; did you mean ${best}?` : ''}`,
    { kind: 'unknown' },
  );
}

/** The value given for `key`, if any. */
export const givenValue = <K extends FieldKey>(
  values: ParsedValues,
  key: K,
): ValueOf<K> | undefined => values.get(key)?.value as ValueOf<K> | undefined;

/** The value given for `key`, else the table's default (a field without one is a bug here). */
export function valueOrDefault<K extends FieldKey>(values: ParsedValues, key: K): ValueOf<K> {
  const given = givenValue(values, key);
  if (given !== undefined) return given;
  const { fallback } = fieldOf(key);
  if (fallback === undefined) throw new Error(`the field table gives ${key} no default`);
  return fallback as ValueOf<K>;
}
