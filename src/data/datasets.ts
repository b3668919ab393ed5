// The data sets a run trains on, built from its config. Synthetic data are a pure function
// of the seed: Philox4x32-10 (SPEC §3) keyed by the run's seed, on streams of their own, so
// they never share random numbers with the dynamics (streams 0–2):
//
//   | stream c2 | use                                  | c0             | c1                     | c3      |
//   | --------- | ------------------------------------ | -------------- | ---------------------- | ------- |
//   | 16        | inputs z of a point (Gaussian or     | point m        | split: 0 train, 1 test | block j |
//   |           | uniform, from the first word)        |                |                        |         |
//   | 17        | label of a point: noise g0, class u0 | point m        | split                  | 0       |
//   | 18        | teacher weights α_j                  | teacher neuron | 0                      | block j |
//
// Blocks give coordinates 4j … 4j+3 as for particles. Inputs are stored as float32 and
// labels are computed from the stored values, so a label is exact for the inputs the model sees.
import type { RunConfig } from '../contract/config';
import { activation } from '../contract/model';
import {
  gaussiansFromWords,
  keyFromSeed,
  particleGaussians,
  philox4x32,
  uniformFromWord,
} from '../contract/philox';
import type { DataSplit, Problem } from '../contract/simulation';
import { parseCsv } from './csv';

export const DataStream = { inputs: 16, labels: 17, teacher: 18 } as const;

const Split = { train: 0, test: 1 } as const;

/**
 * The teacher: f*(z) = (1/m) Σ_j c_j φ(α_j·z) (SPEC §1 with m = 4 neurons), α_j ~ N(0, I_p/p)
 * so that α_j·z has variance near 1 for z ~ N(0, I) (the bias feature 1 counts as one coordinate of
 * variance 1), and c_j = ±3 alternating, so that the signs roughly cancel the mean of φ:
 * labels have standard deviation 0.6–1.2 for tanh and relu and 0.2–0.4 for sigmoid
 * (seeds 1–3), with means within ±0.5.
 */
export const TEACHER_WIDTH = 4;
export const TEACHER_OUTPUT_WEIGHT = 3;

/**
 * Two isotropic Gaussians (Mei, Montanari, Nguyen, PNAS 2018, §2): y = +1 or −1 with equal
 * probability, z ~ N(0, (1 + Δ)² I) for y = +1 and N(0, (1 − Δ)² I) for y = −1, Δ the
 * data set's `separation`. The classes differ only in spread, so no linear classifier
 * separates them and the network must learn |z|.
 */
export function gaussiansStd(separation: number): { positive: number; negative: number } {
  return { positive: 1 + separation, negative: 1 - separation };
}

/** Reads a file as text; throws (with a message naming the file) when it cannot. */
export type ReadTextFile = (path: string) => string;

/** Points in the test split of `config` (none for `none` and `csv`: see buildProblem). */
export function testSplitSize(config: RunConfig): number {
  const { name, testSamples } = config.dataset;
  return name === 'none' || name === 'csv' ? 0 : testSamples;
}

/**
 * The Problem of a run: inputs row-major `count × p`, with the bias feature 1 appended as the
 * last column when `config.bias` (p counts it). `csv` reads `config.dataset.path` through
 * `readFile` (needed for csv only, which keeps this module free of Node's file system); a
 * CSV file is all training data: held-out data would need a second file, so test is null.
 */
export function buildProblem(config: RunConfig, readFile?: ReadTextFile): Problem {
  const { dataset, bias } = config;
  const key = keyFromSeed(config.seed);
  const withBias = (raw: RawSplit, dim: number): DataSplit => appendBias(raw, dim, bias);
  const p = (dim: number): number => dim + (bias ? 1 : 0);

  switch (dataset.name) {
    case 'none':
      return {
        p: p(dataset.dim),
        train: { z: new Float32Array(0), y: new Float32Array(0), count: 0 },
        test: null,
      };
    case 'csv': {
      if (!readFile || dataset.path === null) {
        throw new Error('buildProblem: the csv data set needs a path and a file reader');
      }
      const csv = parseCsv(readFile(dataset.path), dataset.path);
      return { p: p(csv.p), train: withBias(csv, csv.p), test: null };
    }
    case 'teacher':
    case 'gaussians':
    case 'sine': {
      const dim = dataset.name === 'sine' ? 1 : dataset.dim;
      const generate = (split: number, count: number): DataSplit =>
        withBias(generateSplit(config, dim, split, count, key), dim);
      const testCount = testSplitSize(config);
      return {
        p: p(dim),
        train: generate(Split.train, dataset.samples),
        test: testCount > 0 ? generate(Split.test, testCount) : null,
      };
    }
  }
}

interface RawSplit {
  readonly z: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
}

function appendBias(raw: RawSplit, dim: number, bias: boolean): DataSplit {
  if (!bias) return raw;
  const p = dim + 1;
  const z = new Float32Array(raw.count * p);
  for (let m = 0; m < raw.count; m++) {
    z.set(raw.z.subarray(m * dim, (m + 1) * dim), m * p);
    z[m * p + dim] = 1;
  }
  return { z, y: raw.y, count: raw.count };
}

/** `count` points of a synthetic data set, without the bias feature. */
function generateSplit(
  config: RunConfig,
  dim: number,
  split: number,
  count: number,
  key: readonly [number, number],
): RawSplit {
  const { name, noise, separation } = config.dataset;
  const classStd = gaussiansStd(separation);
  const z = new Float32Array(count * dim);
  const y = new Float32Array(count);
  const words = new Uint32Array(4);
  const gauss = new Float64Array(4);
  const teacher = name === 'teacher' ? teacherNetwork(config, dim, key) : null;

  for (let m = 0; m < count; m++) {
    philox4x32(m, split, DataStream.labels, 0, key[0], key[1], words);
    const labelUniform = uniformFromWord(words[0]!);
    gaussiansFromWords(words, gauss);
    const labelNoise = noise * gauss[0]!;

    if (name === 'sine') {
      philox4x32(m, split, DataStream.inputs, 0, key[0], key[1], words);
      const zm = Math.fround(-Math.PI + 2 * Math.PI * uniformFromWord(words[0]!));
      z[m] = zm;
      y[m] = Math.sin(zm) + labelNoise;
      continue;
    }
    particleGaussians(DataStream.inputs, m, split, dim, key, z, m * dim, words, gauss);
    if (name === 'gaussians') {
      const positive = labelUniform < 0.5;
      const std = positive ? classStd.positive : classStd.negative;
      for (let t = m * dim; t < (m + 1) * dim; t++) z[t] = z[t]! * std;
      y[m] = positive ? 1 : -1;
    } else if (teacher) {
      y[m] = teacher(z.subarray(m * dim, (m + 1) * dim)) + labelNoise;
    }
  }
  return { z, y, count };
}

/** The teacher network f* on raw inputs (the bias feature, if any, added here). */
function teacherNetwork(
  config: RunConfig,
  dim: number,
  key: readonly [number, number],
): (z: Float32Array) => number {
  const p = dim + (config.bias ? 1 : 0);
  const alpha = new Float64Array(TEACHER_WIDTH * p);
  const words = new Uint32Array(4);
  const gauss = new Float64Array(4);
  for (let j = 0; j < TEACHER_WIDTH; j++) {
    particleGaussians(DataStream.teacher, j, 0, p, key, alpha, j * p, words, gauss);
  }
  const scale = 1 / Math.sqrt(p);
  const { phi } = activation(config.activation);
  return (z) => {
    let sum = 0;
    for (let j = 0; j < TEACHER_WIDTH; j++) {
      let u = config.bias ? alpha[j * p + dim]! : 0;
      for (let t = 0; t < dim; t++) u += alpha[j * p + t]! * z[t]!;
      const c = j % 2 === 0 ? TEACHER_OUTPUT_WEIGHT : -TEACHER_OUTPUT_WEIGHT;
      sum += c * phi(u * scale);
    }
    return sum / TEACHER_WIDTH;
  };
}
