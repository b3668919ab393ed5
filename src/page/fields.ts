// The parameter panel's fields: the run fields of the field table (src/contract/fields.ts),
// with the table's labels and help, how each is edited, and the form's raw values to and
// from the URL query. Validation is parseConfigObject's, field by field, so the page's
// messages are the CLI's (they name the field and its range), and each error carries the
// field it belongs beside.
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import { ConfigError, configToJson, parseConfigObject } from '../contract/config-parse';
import { RUN_FIELDS, RUN_KEYS, type RunFieldKey } from '../contract/fields';

export interface FieldSpec {
  readonly key: RunFieldKey;
  readonly label: string;
  /** Options of a select; a text input where absent. */
  readonly options?: readonly string[];
  readonly checkbox?: true;
  /** The help of the field, with its range. */
  readonly title: string;
}

export const FIELDS: readonly FieldSpec[] = RUN_KEYS.map((key) => {
  const { kind, help, label } = RUN_FIELDS[key];
  return {
    key,
    label,
    ...(kind.choices ? { options: kind.choices } : {}),
    ...(kind.isSwitch ? { checkbox: true as const } : {}),
    title: kind.isSwitch ? help : `${help}; ${kind.range}`,
  };
});

const KEYS = new Set<string>(RUN_KEYS);

/** Raw values as the form holds them: strings, keyed as configToJson. */
export type RawValues = Record<string, string>;

export function rawFromConfig(config: RunConfig): RawValues {
  const json = configToJson(config);
  const raw: RawValues = {};
  for (const key of KEYS) raw[key] = String(json[key]);
  return raw;
}

export interface ParsedQuery {
  readonly raw: RawValues;
  readonly autorun: boolean;
  /** Query keys that are no field: their messages. */
  readonly unknown: string[];
}

/** The form's values from a URL query: the defaults, overridden by the query's fields. */
export function rawFromQuery(search: string): ParsedQuery {
  const params = new URLSearchParams(search);
  const raw = rawFromConfig(DEFAULT_CONFIG);
  const unknown: string[] = [];
  let autorun = false;
  for (const [name, value] of params) {
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (name === 'autorun') autorun = value === '1' || value === 'true';
    else if (KEYS.has(camel)) raw[camel] = value;
    else unknown.push(`unknown URL parameter ${JSON.stringify(name)}`);
  }
  return { raw, autorun, unknown };
}

/** The URL query of the form's values (every field, so a link is the whole study). */
export function queryFromRaw(raw: RawValues): string {
  const params = new URLSearchParams();
  for (const { key } of FIELDS) params.set(key, raw[key] ?? '');
  return params.toString();
}

export interface Validation {
  /** The config, when every field is valid. */
  readonly config: RunConfig | null;
  /** Messages by field key; `''` holds those about no single field. */
  readonly errors: Map<string, string>;
}

/** Each field alone, then all together (for the checks across fields, such as τ's bound). */
export function validate(raw: RawValues): Validation {
  const errors = new Map<string, string>();
  for (const { key } of FIELDS) {
    const value = raw[key] ?? '';
    if (key === 'dataset' && value.startsWith('csv:')) {
      errors.set(key, 'dataset csv:PATH needs a file system: use the CLI (mfld run)');
      continue;
    }
    try {
      parseConfigObject({ [key]: value });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // A single field checked against the defaults of the others may trip a check across
      // fields; that one is reported below, against the values actually given.
      if (error.kind !== 'conflict') errors.set(error.field ?? key, error.message);
    }
  }
  if (errors.size > 0) return { config: null, errors };
  try {
    return { config: parseConfigObject(raw), errors };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors.set(error.field ?? '', error.message);
    return { config: null, errors };
  }
}
