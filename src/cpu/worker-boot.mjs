// Node entry of a CPU reference worker: TypeScript runs through tsx, as in bin/mfld.mjs.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
