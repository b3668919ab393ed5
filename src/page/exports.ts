// The page's downloads: particles (.npy, SPEC §5), metrics (CSV) and the study (JSON).
import type { RunConfig } from '../contract/config';
import { configToJson } from '../contract/config-parse';
import { encodeNpy } from '../io/npy';
import type { MetricRow } from './charts';
import { version } from '../../package.json';

export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function particlesNpy(x: Float32Array, n: number, d: number): Uint8Array<ArrayBuffer> {
  return encodeNpy(x, n, d) as Uint8Array<ArrayBuffer>;
}

const cell = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : String(v));

export function metricsCsv(rows: readonly MetricRow[]): string {
  const lines = ['step,time,train_loss,test_loss,free_energy'];
  for (const r of rows) {
    lines.push([r.step, r.time, r.train, cell(r.test), cell(r.freeEnergy)].join(','));
  }
  return lines.join('\n') + '\n';
}

export function studyJson(
  config: RunConfig,
  rows: readonly MetricRow[],
  adapter: string,
  backend: string,
  sweep: object | null = null,
): string {
  return JSON.stringify(
    { version, config: configToJson(config), backend, adapter, metrics: rows, sweep },
    null,
    2,
  );
}
