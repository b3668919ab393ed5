// Kinds of field values: how a value is read from what a user typed (a flag value, a JSON
// value, a URL parameter), what range it has in words, and how it is written back. The field
// table (fields.ts) gives each field one of these.
import { DATASETS, type DatasetName } from './config';

/** What went wrong with the input, for a front end that places or sorts messages. */
export type ConfigErrorKind =
  /** A value outside its range or of the wrong type. */
  | 'range'
  /** A flag with no value, or a switch given one. */
  | 'value'
  /** A field given twice. */
  | 'twice'
  /** A name that is no field (of this command). */
  | 'unknown'
  /** A required flag left out. */
  | 'required'
  /** Fields that do not go together: a bound that involves several, or flags that exclude each other. */
  | 'conflict';

/** Input the user can fix: the front ends show the message alone, with no stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The field the message is about (its key in the field table), or null for none. */
  readonly field: string | null;
  readonly kind: ConfigErrorKind;

  constructor(
    message: string,
    where: { readonly field?: string | null; readonly kind?: ConfigErrorKind } = {},
  ) {
    super(message);
    this.field = where.field ?? null;
    this.kind = where.kind ?? 'range';
  }
}

/**
 * A decimal number as people write it: no hex, no empty string (which `Number` reads as 0).
 * Unambiguous on purpose: `\d+\.?\d*` would split a run of digits in every possible way when the
 * match fails, quadratic time (seconds for a 30,000-digit CSV field or flag value).
 */
export const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export interface Kind<V> {
  /** Completes "must be …": "an integer from 1 to 2^26". */
  readonly range: string;
  /** What stands for the value in the usage text: "INT", "tanh|sigmoid|relu". */
  readonly placeholder: string;
  /** A switch (`--bias`) takes no value on the command line. */
  readonly isSwitch?: true;
  /** A list flag (`--merge A B C`) takes every value up to the next flag. */
  readonly isList?: true;
  /** The values a page offers in a select, where it offers a choice. */
  readonly choices?: readonly string[];
  /** The value, or undefined when `raw` (a string, or a JSON number/boolean) is not valid. */
  parse(raw: unknown): V | undefined;
  /** The JSON form of a value; `parse` takes it back. */
  toJson(value: V): string | number | boolean;
}

/** `+ 0` turns −0 (from "-0") into 0, so a resolved config never holds −0. */
function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw + 0;
  if (typeof raw === 'string' && DECIMAL_NUMBER.test(raw.trim())) return Number(raw) + 0;
  return undefined;
}

const asJson = <V extends string | number | boolean>(value: V): V => value;

export function integer(min: number, max: number, maxText = String(max)): Kind<number> {
  return {
    range: `an integer from ${min} to ${maxText}`,
    placeholder: 'INT',
    parse: (raw) => {
      const value = toNumber(raw);
      return value !== undefined && Number.isInteger(value) && value >= min && value <= max
        ? value
        : undefined;
    },
    toJson: asJson,
  };
}

/** A finite number above (`>`) or from (`>=`) a lower bound. */
export function real(bound: '>' | '>=', lower: number): Kind<number> {
  return {
    range: `a number ${bound} ${lower}`,
    placeholder: 'X',
    parse: (raw) => {
      const value = toNumber(raw);
      if (value === undefined || !Number.isFinite(value)) return undefined;
      return (bound === '>' ? value > lower : value >= lower) ? value : undefined;
    },
    toJson: asJson,
  };
}

/** A finite number in an interval; `closed` says which ends belong to it. */
export function interval(
  lower: number,
  upper: number,
  closed: { lower: boolean; upper: boolean },
): Kind<number> {
  return {
    range: `a number in ${closed.lower ? '[' : '('}${lower}, ${upper}${closed.upper ? ']' : ')'}`,
    placeholder: 'X',
    parse: (raw) => {
      const value = toNumber(raw);
      if (value === undefined) return undefined;
      const aboveLower = closed.lower ? value >= lower : value > lower;
      const belowUpper = closed.upper ? value <= upper : value < upper;
      return aboveLower && belowUpper ? value : undefined;
    },
    toJson: asJson,
  };
}

/** A finite number in [lower, upper), said the way the run flags always said it. */
export function halfOpen(lower: number, upper: number): Kind<number> {
  return {
    ...interval(lower, upper, { lower: true, upper: false }),
    range: `a number >= ${lower} and < ${upper}`,
  };
}

export function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  return {
    range: `one of ${values.join(', ')}`,
    placeholder: values.join('|'),
    choices: values,
    parse: (raw) => values.find((v) => v === raw),
    toJson: asJson,
  };
}

/** One of a few integers: `1, 2 or 4`. */
export function oneOfIntegers<T extends number>(values: readonly T[]): Kind<T> {
  const shown = values.map(String);
  return {
    range: `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`,
    placeholder: shown.join('|'),
    parse: (raw) => {
      const value = toNumber(raw);
      return values.find((v) => v === value);
    },
    toJson: asJson,
  };
}

export const switchKind: Kind<boolean> = {
  range: 'true or false',
  placeholder: '',
  isSwitch: true,
  parse: (raw) => {
    if (typeof raw === 'boolean') return raw;
    return raw === 'true' ? true : raw === 'false' ? false : undefined;
  },
  toJson: asJson,
};

export function path(extension?: string): Kind<string> {
  return {
    range: extension ? `a file path ending in ${extension}` : 'a file path',
    placeholder: extension ? `PATH${extension}` : 'PATH',
    parse: (raw) =>
      typeof raw === 'string' && raw !== '' && (!extension || raw.endsWith(extension))
        ? raw
        : undefined,
    toJson: asJson,
  };
}

/** Several paths, one per value: `--merge A.json B.json`. */
export const pathList: Kind<string[]> = {
  range: 'one or more file paths',
  placeholder: 'PATH…',
  isList: true,
  parse: (raw) => {
    const paths = typeof raw === 'string' ? raw.split('\n') : Array.isArray(raw) ? raw : [];
    return paths.length > 0 && paths.every((p) => typeof p === 'string' && p !== '')
      ? (paths as string[])
      : undefined;
  },
  toJson: (value) => value.join('\n'),
};

/** Comma-separated integers, each from `min` to `max`; sorted, each once. */
export function integerSet(min: number, max: number, maxText = String(max)): Kind<number[]> {
  const one = integer(min, max, maxText);
  return {
    range: `integers from ${min} to ${maxText}, separated by commas`,
    placeholder: 'N,N,…',
    parse: (raw) => {
      if (typeof raw !== 'string') return undefined;
      const parts = raw.split(',').filter((part) => part.trim() !== '');
      const values = parts.map((part) => one.parse(part));
      if (parts.length === 0 || values.some((v) => v === undefined)) return undefined;
      return [...new Set(values as number[])].sort((a, b) => a - b);
    },
    toJson: (value) => value.join(','),
  };
}

/** Text the command reads itself (each of `--values` is checked as the swept flag). */
export function text(placeholder: string, range: string): Kind<string> {
  return {
    range,
    placeholder,
    parse: (raw) => (typeof raw === 'string' && raw !== '' ? raw : undefined),
    toJson: asJson,
  };
}

export interface DatasetChoice {
  readonly name: DatasetName;
  /** The CSV file, for `csv` only. */
  readonly path: string | null;
}

/** The data sets that need no file (all a page can build). */
export const SYNTHETIC_DATASETS = DATASETS.filter((name) => name !== 'csv');

export const datasetKind: Kind<DatasetChoice> = {
  range: `one of ${SYNTHETIC_DATASETS.join(', ')}, or csv:PATH`,
  placeholder: `${SYNTHETIC_DATASETS.join('|')}|csv:PATH`,
  choices: SYNTHETIC_DATASETS,
  parse: (raw) => {
    if (typeof raw !== 'string') return undefined;
    if (raw.startsWith('csv:')) {
      const path = raw.slice('csv:'.length);
      return path === '' ? undefined : { name: 'csv', path };
    }
    const name = SYNTHETIC_DATASETS.find((n) => n === raw);
    return name ? { name, path: null } : undefined;
  },
  toJson: (value) => (value.name === 'csv' ? `csv:${value.path ?? ''}` : value.name),
};

/** σ at the last step when σ is annealed, or `none` for a constant σ. */
export const sigmaFinalKind: Kind<number | null> = {
  range: 'a number >= 0, or none',
  placeholder: 'X|none',
  parse: (raw) => (raw === 'none' || raw === null ? null : real('>=', 0).parse(raw)),
  toJson: (value) => value ?? 'none',
};

const MAX_BATCH = 65536;

export const batchKind: Kind<'full' | number> = {
  range: `"full" or an integer from 1 to ${MAX_BATCH}`,
  placeholder: 'full|B',
  parse: (raw) => (raw === 'full' ? 'full' : integer(1, MAX_BATCH).parse(raw)),
  toJson: asJson,
};

/** Part I of K of a sweep. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

const MAX_SHARDS = 100_000;

export const shardKind: Kind<Shard> = {
  range:
    `I/K with K from 1 to ${MAX_SHARDS} and I from 0 to K - 1 ` +
    '(a Slurm job array: --array=0-(K-1))',
  placeholder: 'I/K',
  parse: (raw) => {
    const match = typeof raw === 'string' ? /^(\d+)\/(\d+)$/.exec(raw.trim()) : null;
    const index = match ? Number(match[1]) : NaN;
    const count = match ? Number(match[2]) : NaN;
    return count >= 1 && count <= MAX_SHARDS && index >= 0 && index < count
      ? { index, count }
      : undefined;
  },
  toJson: (value) => `${value.index}/${value.count}`,
};

/** Longer values are cut in messages: a pasted file should not fill the terminal. */
const SHOWN_CHARACTERS = 200;

/**
 * A value as the user gave it, for messages: strings, arrays and objects as JSON (`String`
 * would throw on `{"toString": null}`), the rest as `String` does.
 */
export function showRaw(raw: unknown): string {
  let text: string;
  if (typeof raw === 'string' || (typeof raw === 'object' && raw !== null)) {
    try {
      text = JSON.stringify(raw) ?? 'an object';
    } catch {
      text = 'an object';
    }
  } else {
    text = String(raw);
  }
  return text.length <= SHOWN_CHARACTERS
    ? text
    : `${text.slice(0, SHOWN_CHARACTERS)}… (${text.length} characters)`;
}
