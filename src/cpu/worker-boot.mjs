// Node entry of a CPU reference worker. From the sources the entry is TypeScript, run through
// tsx as in bin/mfld.mjs; from the package (dist/) it is JavaScript and needs nothing.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
