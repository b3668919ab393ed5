// The smallest use of the engine: open WebGPU, run 2^20 particles for 400 steps, draw the loss.
// Any field of the study page's URL changes the run: ?n=4096&steps=200 (as the e2e test does:
// SwiftShader, a CPU driver, is slow at 2^20). In a project of your own, import from 'mfld'.
import * as mfld from '../../src/browser';

const status = document.querySelector<HTMLElement>('#status')!;
addEventListener('error', (event) => (status.textContent = event.message)); // a bad ?field=…
const query = Object.fromEntries(new URLSearchParams(location.search));
const config = mfld.parseConfigObject(query, { ...mfld.DEFAULT_CONFIG, n: 2 ** 20, steps: 400 });
const gpu = await mfld.openBrowserGpu();
if (!gpu) throw new Error((status.textContent = 'this browser has no WebGPU'));
const problem = mfld.buildProblem(config);
const dynamics = mfld.dynamicsFromConfig(config);
const sim = await mfld.createGpuSimulation(gpu, problem, dynamics, mfld.browserShaderSources);

const canvas = document.querySelector<HTMLCanvasElement>('#loss')!;
const context = canvas.getContext('2d')!;
const losses = [await sim.loss('train')];
while (sim.step < config.steps) {
  await sim.run(Math.min(10, config.steps - sim.step));
  losses.push(await sim.loss('train'));
  // log(loss) against the step, scaled to the canvas.
  const logs = losses.map(Math.log);
  const [low, high] = [Math.min(...logs), Math.max(...logs)];
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.beginPath();
  logs.forEach((y, i) =>
    context.lineTo(
      (i * 10 * canvas.width) / config.steps,
      ((high - y) / (high - low || 1)) * canvas.height,
    ),
  );
  context.stroke();
  status.textContent = `n = ${sim.n}, step ${sim.step}: loss ${losses.at(-1)!.toPrecision(4)} (${sim.device})`;
}
Object.assign(status.dataset, { state: 'done', first: losses[0], last: losses.at(-1) });
