import { describe, expect, it } from 'vitest';
import { buildsOnRun } from '../../src/cli/help';
import { describeFlags } from '../../src/contract/config-parse';
import { COMMANDS } from '../../src/contract/fields';
import { STACK_LINE, mainCaptured } from '../support/mfld';

describe('mfld help', () => {
  it.each(COMMANDS)('mfld help %s prints what the command prints under --help', async (command) => {
    const topic = await mainCaptured(['help', command]);
    const own = await mainCaptured([command, '--help']);
    expect(topic.code).toBe(0);
    expect(own.code).toBe(0);
    expect(topic.stdout).toBe(own.stdout);
    expect(topic.stdout).toContain(`mfld ${command}`);
  });

  it.each(COMMANDS)(
    'mfld help %s lists each of its own flags, from the field table',
    async (command) => {
      const { stdout } = await mainCaptured(['help', command]);
      const runFlags = new Set(describeFlags('run').map(({ usage }) => usage));
      for (const { usage } of describeFlags(command)) {
        // A command built on mfld run names the run flags by reference, not one by one.
        if (!buildsOnRun(command) || !runFlags.has(usage)) {
          expect(stdout).toContain(`  ${usage}\n`);
        }
      }
    },
  );

  it('refuses a topic that is no command, exit 2', async () => {
    const { code, stderr } = await mainCaptured(['help', 'frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mfld: mfld help takes one command of run, bench, sweep, stationary/);
    expect(stderr).not.toMatch(STACK_LINE);
  });
});
