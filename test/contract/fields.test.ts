import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../src/cli/bench';
import { parseStationaryArgs } from '../../src/cli/stationary';
import { parseSweepArgs } from '../../src/cli/sweep';
import { DEFAULT_CONFIG } from '../../src/contract/config';
import { ConfigError, configToJson, parseRunArgs } from '../../src/contract/config-parse';
import {
  COMMANDS,
  FIELDS,
  RUN_FIELDS,
  RUN_KEYS,
  fieldsOf,
  flagOf,
  type Command,
} from '../../src/contract/fields';
import { flagsOf } from '../../src/contract/tokenize';
import { isLaneParticles } from '../../src/gpu/particle-rows';
import { MAX_GROUP_CHUNKS } from '../../src/gpu/plan';
import { rawFromConfig, validate } from '../../src/page/fields';

const PARSERS: Record<Command, (args: string[]) => unknown> = {
  run: parseRunArgs,
  sweep: parseSweepArgs,
  stationary: parseStationaryArgs,
  bench: parseBenchArgs,
};

function thrown(command: Command, args: string[]): ConfigError {
  try {
    PARSERS[command](args);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`mfld ${command} ${args.join(' ')} was taken`);
}

describe('the field table', () => {
  it.each(COMMANDS)('gives every flag of mfld %s one field', (command) => {
    const flags = fieldsOf(command).map(flagOf);
    expect(new Set(flags).size).toBe(flags.length);
    expect([...flagsOf(command).keys()]).toEqual(expect.arrayContaining(flags));
  });

  it('holds the fields of a RunConfig, each with a page label', () => {
    expect(RUN_KEYS).toEqual(Object.keys(configToJson(DEFAULT_CONFIG)));
    for (const key of RUN_KEYS) expect(RUN_FIELDS[key].label, key).not.toBe('');
  });

  it("keeps bench's --lanes and --group-chunks to what the GPU engine takes", () => {
    for (const lanes of [0, 1, 2, 3, 4, 8]) {
      expect(FIELDS.lanes.kind.parse(String(lanes)) !== undefined, String(lanes)).toBe(
        isLaneParticles(lanes),
      );
    }
    expect(FIELDS.groupChunks.kind.parse(String(MAX_GROUP_CHUNKS))).toBe(MAX_GROUP_CHUNKS);
    expect(FIELDS.groupChunks.kind.parse(String(MAX_GROUP_CHUNKS + 1))).toBeUndefined();
  });
});

describe('errors carry the field and the kind of the mistake', () => {
  it.each<[Command, string[], string | null, ConfigError['kind']]>([
    ['run', ['--tau', '-1'], 'tau', 'range'],
    ['run', ['--tau'], 'tau', 'value'],
    ['run', ['--bias=1'], 'bias', 'value'],
    ['run', ['--n', '1', '--n=2'], 'n', 'twice'],
    ['run', ['--frobnicate'], null, 'unknown'],
    ['run', ['--sizes', '4'], 'sizes', 'unknown'],
    ['run', ['--sigma', '10', '--tau', '0.5'], 'tau', 'conflict'],
    ['run', ['--samples', '10000000', '--dim', '4096'], 'samples', 'conflict'],
    ['run', ['--checkpoint-every', '5'], 'checkpointEvery', 'conflict'],
    ['run', ['--resume', 'a.ckpt', '--n', '5'], 'n', 'conflict'],
    ['sweep', ['--values=1'], 'over', 'required'],
    ['sweep', ['--over=n'], 'values', 'required'],
    ['sweep', ['--over=n', '--values=0'], 'values', 'range'],
    ['sweep', ['--over=n', '--values=32', '--resume=x'], 'resume', 'unknown'],
    ['sweep', ['--merge', 'a.json', '--n=5'], 'n', 'conflict'],
    ['sweep', ['--over=n', '--values=32', '--shard=3/3'], 'shard', 'range'],
    ['stationary', ['--damping', '2'], 'damping', 'range'],
    ['stationary', ['--save-density', 'x.csv'], 'saveDensity', 'range'],
    ['bench', ['--lanes', '3'], 'lanes', 'range'],
    ['bench', ['--skip-cpu=yes'], 'skipCpu', 'value'],
    ['bench', ['--sizes', '12,abc'], 'sizes', 'range'],
  ])('mfld %s %j: %s, %s', (command, args, field, kind) => {
    const error = thrown(command, args);
    expect({ field: error.field, kind: error.kind }).toEqual({ field, kind });
    // The message still names the flag as typed.
    if (field !== null && kind !== 'required') expect(error.message).toContain('--');
  });

  it('lets the page place a check across fields by its field, not by its words', () => {
    const raw = { ...rawFromConfig(DEFAULT_CONFIG), samples: '10000000', dim: '4096' };
    const { errors } = validate(raw);
    expect([...errors.keys()]).toEqual(['samples']);
    expect(errors.get('samples')).toMatch(/make a data set of \d+ floats/);
  });
});
