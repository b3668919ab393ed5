// Checkpoint files of `mfld run` (the format is in src/io/checkpoint.ts): reading one to
// resume and writing one atomically. Whether one fits the data is checkResumable, shared
// with the study page.
import { readFileSync } from 'node:fs';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../io/checkpoint';
import { FileError } from '../io/file-error';
import { writeFileAtomic } from './output';

export function readCheckpointFile(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new FileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}

/** Writes `checkpoint` to `path` so that a crash leaves the previous file whole. */
export function writeCheckpointFile(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

export { checkResumable } from '../io/checkpoint';
