// The parameter panel: a field per config key (fields.ts), kept in the URL, validated as it is
// typed, with each error beside its field.
import type { RunConfig } from '../contract/config';
import {
  FIELDS,
  queryFromRaw,
  rawFromConfig,
  rawFromQuery,
  validate,
  type RawValues,
} from './fields';

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class ParamPanel {
  /** The fields as typed. */
  readonly raw: RawValues;
  /** `autorun=1` in the URL: run at once. */
  readonly autorun: boolean;
  /** Unknown URL parameters, which block a run until the panel is set by a checkpoint. */
  private readonly unknown: string[];
  private parsed: RunConfig | null = null;

  /** `onChange` after every edit and validation. */
  constructor(
    private readonly form: HTMLFormElement,
    private readonly generalError: HTMLElement,
    private readonly onChange: () => void,
  ) {
    const query = rawFromQuery(location.search);
    this.raw = { ...query.raw };
    this.autorun = query.autorun;
    this.unknown = query.unknown;
  }

  /** The panel's config, or null while a field is invalid. */
  get config(): RunConfig | null {
    return this.parsed;
  }

  build(): void {
    const raw = this.raw;
    for (const spec of FIELDS) {
      const id = `field-${spec.key}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = spec.label;
      label.title = spec.title;
      let input: HTMLInputElement | HTMLSelectElement;
      if (spec.options) {
        input = document.createElement('select');
        const values = [...spec.options];
        const current = raw[spec.key] ?? '';
        if (!values.includes(current)) values.push(current);
        for (const value of values) input.add(new Option(value, value));
        input.value = current;
      } else {
        input = document.createElement('input');
        if (spec.checkbox) {
          input.type = 'checkbox';
          input.checked = raw[spec.key] === 'true';
        } else {
          input.type = 'text';
          input.value = raw[spec.key] ?? '';
          input.inputMode = 'decimal';
        }
      }
      input.id = id;
      input.name = spec.key;
      input.title = spec.title;
      input.setAttribute('aria-describedby', `error-${spec.key}`);
      input.addEventListener('input', () => {
        raw[spec.key] =
          input instanceof HTMLInputElement && input.type === 'checkbox'
            ? String(input.checked)
            : input.value;
        history.replaceState(null, '', `?${queryFromRaw(raw)}`);
        this.revalidate();
      });
      const error = document.createElement('span');
      error.className = 'error';
      error.id = `error-${spec.key}`;
      error.setAttribute('role', 'alert');
      this.form.append(label, input, error);
    }
  }

  /** Puts `c` in the panel (and the URL), as if typed. */
  set(c: RunConfig): void {
    Object.assign(this.raw, rawFromConfig(c));
    this.unknown.length = 0;
    for (const { key } of FIELDS) {
      const input = byId<HTMLInputElement | HTMLSelectElement>(`field-${key}`);
      const value = this.raw[key] ?? '';
      if (input instanceof HTMLSelectElement) {
        if (![...input.options].some((option) => option.value === value)) {
          input.add(new Option(value, value));
        }
        input.value = value;
      } else if (input.type === 'checkbox') {
        input.checked = value === 'true';
      } else {
        input.value = value;
      }
    }
    history.replaceState(null, '', `?${queryFromRaw(this.raw)}`);
    this.revalidate();
  }

  revalidate(): void {
    const { config: parsed, errors } = validate(this.raw);
    for (const { key } of FIELDS) {
      const message = errors.get(key) ?? '';
      byId(`error-${key}`).textContent = message;
      byId(`field-${key}`).setAttribute('aria-invalid', String(message !== ''));
    }
    this.generalError.textContent = [...this.unknown, errors.get('') ?? '']
      .filter(Boolean)
      .join('; ');
    this.parsed = this.unknown.length === 0 ? parsed : null;
    this.onChange();
  }
}
