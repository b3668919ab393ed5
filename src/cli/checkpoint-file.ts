// Checkpoint files of `mfld run` (the format is in src/io/checkpoint.ts): reading one to
// resume, checking that it fits the data, and writing one atomically.
import { readFileSync } from 'node:fs';
import type { Problem } from '../contract/simulation';
import {
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  problemCrc32,
  type Checkpoint,
} from '../io/checkpoint';
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

/**
 * Refuses to continue `checkpoint` (read from `path`) on `problem` when the data differ from
 * those it was trained on: a CSV file edited since, or data sets generated differently.
 */
export function checkResumable(checkpoint: Checkpoint, problem: Problem, path: string): void {
  if (problem.p + 1 !== checkpoint.d) {
    throw new CheckpointError(
      `${path}: its particles have d = ${checkpoint.d} coordinates, the data set gives ` +
        `d = ${problem.p + 1}`,
    );
  }
  if (problemCrc32(problem) !== checkpoint.dataCrc32) {
    const { dataset } = checkpoint.config;
    const which = dataset.name === 'csv' ? `the file ${dataset.path ?? ''}` : 'the data set';
    throw new CheckpointError(
      `${path}: ${which} differs from the data the checkpoint was trained on (checksum ` +
        `mismatch); resuming on other data would not continue the same run`,
    );
  }
}
