// The page stops a diverging run where `mfld run` stops it, with the same message: both drive
// runStudy, so they share its checks (a loss or moments no longer finite, and the bound on
// the mean second moment M₂, which the loss of a bounded activation never shows).
import { spawnSync } from 'node:child_process';
import { expect, test } from './study-fixture';

const CASES = [
  { name: 'M₂ above its bound (tanh)', activation: 'tanh', sign: 'mean second moment' },
  {
    name: 'the loss no longer finite (relu)',
    activation: 'relu',
    sign: 'loss is no longer finite',
  },
];

for (const { name, activation, sign } of CASES) {
  test(`a run that mfld run stops as diverged stops on the page at the same step: ${name}`, async ({
    studyPage: page,
  }) => {
    const config = { n: 64, samples: 64, testSamples: 32, tau: 5, steps: 200, logEvery: 10 };
    const flags = Object.entries(config).map(
      ([key, value]) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${value}`,
    );
    const cli = spawnSync(
      process.execPath,
      [
        'bin/mfld.mjs',
        'run',
        '--backend=cpu',
        '--threads=2',
        `--activation=${activation}`,
        ...flags,
      ],
      { encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(1);
    const message = /^mfld: (.*)$/m.exec(cli.stderr)?.[1];
    expect(message, cli.stderr).toContain(sign);
    const stoppedAt = Number(/at step (\d+)/.exec(message!)![1]);
    const lastLogged = Math.max(
      ...[...cli.stderr.matchAll(/^step (\d+) /gm)].map((match) => Number(match[1])),
    );
    expect(lastLogged).toBe(stoppedAt - config.logEvery);

    const query = new URLSearchParams({
      ...Object.fromEntries(Object.entries(config).map(([key, value]) => [key, String(value)])),
      activation,
      backend: 'cpu',
      autorun: '1',
    });
    await page.goto(`/?${query.toString()}`);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'error', {
      timeout: 60_000,
    });
    await expect(page.locator('#status')).toHaveText(`error: ${message!}`);
    // The last log point shown is the last one that passed the checks, as in the CLI.
    await expect(page.locator('#progress')).toHaveAttribute('data-step', String(lastLogged));
    await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  });
}
