import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/contract/config';
import { configToJson } from '../../src/contract/config-parse';
import { queryFromRaw, rawFromConfig, rawFromQuery, validate } from '../../src/page/fields';

describe('study page fields', () => {
  it('a URL of every field gives back the config it was made from', () => {
    const config = { ...DEFAULT_CONFIG, n: 300, sigma: 0.2, batch: 'full' as const, bias: false };
    const query = queryFromRaw(rawFromConfig(config));
    const { raw, autorun, unknown } = rawFromQuery(`?${query}&autorun=1`);
    expect(autorun).toBe(true);
    expect(unknown).toEqual([]);
    const parsed = validate(raw);
    expect(parsed.errors.size).toBe(0);
    expect(configToJson(parsed.config!)).toEqual(configToJson(config));
  });

  it('takes the flag spelling too, and names unknown parameters', () => {
    const { raw, unknown } = rawFromQuery('?prior-std=2&colour=red');
    expect(raw['priorStd']).toBe('2');
    expect(unknown).toEqual(['unknown URL parameter "colour"']);
  });

  it('puts a range error next to its field, and the τ bound next to τ', () => {
    const bad = validate({ ...rawFromConfig(DEFAULT_CONFIG), tau: '-1', n: 'x' });
    expect(bad.config).toBeNull();
    expect(bad.errors.get('tau')).toMatch(/^"tau" must be a number > 0, got "-1"/);
    expect(bad.errors.get('n')).toMatch(/^"n" must be an integer/);
    const across = validate({ ...rawFromConfig(DEFAULT_CONFIG), sigma: '10', tau: '0.5' });
    expect(across.errors.has('sigma')).toBe(false);
    expect(across.errors.get('tau')).toMatch(/^"tau" must be < 0.04/);
  });

  it('refuses csv data sets, which need a file system', () => {
    const csv = validate({ ...rawFromConfig(DEFAULT_CONFIG), dataset: 'csv:data.csv' });
    expect(csv.errors.get('dataset')).toMatch(/file system/);
  });
});
