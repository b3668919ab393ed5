// Checkpoint files of `mfld run` (the format is in src/io/checkpoint.ts): reading one to
// resume (main.ts writes them through OutputFiles). Whether one fits the data is
// checkResumable, shared with the study page.
import { readFileSync } from 'node:fs';
import { decodeCheckpoint, type Checkpoint } from '../io/checkpoint';
import { FileError } from '../io/file-error';

export function readCheckpointFile(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new FileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}

export { checkResumable } from '../io/checkpoint';
