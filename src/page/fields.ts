// The parameter panel's fields: the keys of configToJson, how each is edited, and the form's
// raw values to and from the URL query. Validation is parseConfigObject's, field by field, so
// the page's messages are the CLI's (they name the field and its range).
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import { ConfigError, configToJson, parseConfigObject } from '../contract/config-parse';
import { ACTIVATIONS, LOSSES } from '../contract/model';

export type FieldKey = keyof ReturnType<typeof configToJson>;

export interface FieldSpec {
  readonly key: string;
  readonly label: string;
  /** Options of a select; a text input where absent. */
  readonly options?: readonly string[];
  readonly checkbox?: true;
  readonly title: string;
}

/** The datasets a page can build (csv needs a file system). */
export const PAGE_DATASETS = ['none', 'teacher', 'gaussians', 'sine'] as const;

export const FIELDS: readonly FieldSpec[] = [
  { key: 'dataset', label: 'data set', options: PAGE_DATASETS, title: 'none: no data, F ≡ 0' },
  { key: 'dim', label: 'dim', title: 'input dimension before the bias feature' },
  { key: 'samples', label: 'samples', title: 'training points' },
  { key: 'testSamples', label: 'test samples', title: 'held-out points (0: none)' },
  { key: 'noise', label: 'label noise', title: 'standard deviation of the label noise' },
  {
    key: 'separation',
    label: 'separation Δ',
    title: 'gaussians: inputs N(0, (1 ± Δ)² I) for labels ±1',
  },
  { key: 'n', label: 'n (particles)', title: 'number of particles (neurons)' },
  { key: 'steps', label: 'steps', title: 'time steps, counted from step 0' },
  { key: 'logEvery', label: 'log every', title: 'steps per chunk: the loss is read after each' },
  { key: 'sigma', label: 'σ', title: 'noise level of the Langevin dynamics' },
  {
    key: 'sigmaFinal',
    label: 'σ at the end',
    title: 'anneal σ linearly to this at the last step (none: constant σ)',
  },
  { key: 'tau', label: 'τ', title: 'time step (needs τσ²/(2s²) < 2)' },
  { key: 'batch', label: 'batch', title: '"full" or B points drawn with replacement' },
  { key: 'activation', label: 'activation φ', options: ACTIVATIONS, title: 'activation' },
  { key: 'loss', label: 'loss Φ', options: LOSSES, title: 'loss of the residual' },
  { key: 'huberDelta', label: 'Huber δ', title: "Huber's δ (loss huber)" },
  { key: 'priorStd', label: 'prior std s', title: 'standard deviation of the prior g' },
  { key: 'initStd', label: 'init std s₀', title: 'standard deviation of x⁰' },
  { key: 'seed', label: 'seed', title: 'seed of all random numbers (data included)' },
  { key: 'bias', label: 'bias feature', checkbox: true, title: 'append a constant input 1' },
  {
    key: 'backend',
    label: 'backend',
    options: ['auto', 'webgpu', 'cpu'],
    title:
      'auto: WebGPU on a hardware adapter, else the CPU reference (faster than a software adapter)',
  },
];

const KEYS = new Set(FIELDS.map((f) => f.key));

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

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

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
      const message = messageOf(error);
      if (!message.includes(' must be < ') && !message.includes('make a data set')) {
        errors.set(key, message);
      }
    }
  }
  if (errors.size > 0) return { config: null, errors };
  try {
    return { config: parseConfigObject(raw), errors };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const message = messageOf(error);
    const named = FIELDS.find(({ key }) => message.startsWith(`"${key}"`));
    errors.set(named?.key ?? '', message);
    return { config: null, errors };
  }
}
