// Soak: many thousand WebGPU steps with periodic readback, checking that the engine's GPU
// memory stays flat (every buffer it makes is destroyed by destroy(), and none is made per
// step or per readback beyond its reused staging buffer) and that results stay finite.
// WebGPU reports no memory figures, so the device's createBuffer is wrapped to count the
// live buffers and their bytes.
//
//   npm run soak -- [--steps 20000] [--n 4096] [--log-every 200] [--recreate-every 5000]
import { parseArgs } from 'node:util';
import type { RunConfig } from '../src/contract/config';
import { parseConfigObject } from '../src/contract/config-parse';
import { buildProblem } from '../src/data/datasets';
import type { EngineGpu } from '../src/gpu/device';
import { createGpuSimulation } from '../src/gpu/simulation';
import { openNodeGpu, readShaderSources } from '../src/node/gpu';
import { enterWebGpuEnv } from '../src/node/webgpu-env';
import { dynamicsFromConfig } from '../src/study/run-study';

interface LiveBuffers {
  count: number;
  bytes: number;
}

/** Wraps createBuffer so that `live` always holds the buffers made and not yet destroyed. */
function trackBuffers(device: GPUDevice): LiveBuffers {
  const live: LiveBuffers = { count: 0, bytes: 0 };
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(descriptor);
    live.count += 1;
    live.bytes += buffer.size;
    const destroy = buffer.destroy.bind(buffer);
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) {
        destroyed = true;
        live.count -= 1;
        live.bytes -= buffer.size;
      }
      destroy();
    };
    return buffer;
  };
  return live;
}

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${flag} must be an integer ≥ 1, got "${text}"`);
  }
  return value;
}

async function soak(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string' },
      n: { type: 'string' },
      'log-every': { type: 'string' },
      'recreate-every': { type: 'string' },
    },
  });
  const steps = positiveInteger('steps', values.steps, 20_000);
  const logEvery = positiveInteger('log-every', values['log-every'], 200);
  const recreateEvery = positiveInteger('recreate-every', values['recreate-every'], 5_000);
  // n is checked like `mfld run --n` (the other fields are the default study's).
  const config: RunConfig = parseConfigObject({
    n: values.n === undefined ? 4096 : Number(values.n),
  });
  const rerun = await enterWebGpuEnv();
  if (rerun !== null) return rerun;
  const gpu: EngineGpu | null = await openNodeGpu();
  if (!gpu) throw new Error('no WebGPU adapter (install Chrome or Chromium for SwiftShader)');
  const live = trackBuffers(gpu.device);
  const problem = buildProblem(config);
  const dynamics = dynamicsFromConfig(config);
  const shaders = readShaderSources();
  console.log(`soak: ${steps} steps, n = ${config.n}, on ${gpu.description}`);

  let sim = await createGpuSimulation(gpu, problem, dynamics, shaders);
  // Warm up the staging buffer to its largest size before taking the baseline.
  await sim.particles();
  await sim.loss('train');
  const baseline = { ...live };
  const started = performance.now();
  let failures = 0;
  for (let done = 0; done < steps;) {
    const chunk = Math.min(logEvery, steps - done);
    await sim.run(chunk);
    done += chunk;
    const loss = await sim.loss('train');
    const { var: variance } = await sim.moments();
    if (done % recreateEvery === 0) {
      // destroy() must give back every buffer the simulation made.
      const particles = await sim.particles();
      const step = sim.step;
      sim.destroy();
      if (live.count !== 0 || live.bytes !== 0) {
        console.error(
          `step ${done}: ${live.count} buffers (${live.bytes} bytes) outlive destroy()`,
        );
        failures++;
      }
      sim = await createGpuSimulation(gpu, problem, dynamics, shaders);
      await sim.setParticles(particles, step);
      await sim.particles();
      await sim.loss('train');
    }
    const finite = Number.isFinite(loss) && variance.every(Number.isFinite);
    const flat = live.count === baseline.count && live.bytes === baseline.bytes;
    const rss = (process.memoryUsage().rss / 2 ** 20).toFixed(0);
    console.log(
      `step ${done}: loss ${loss.toPrecision(4)}, ${live.count} GPU buffers (${live.bytes} bytes), rss ${rss} MiB`,
    );
    if (!finite) {
      console.error(`step ${done}: non-finite loss or moments`);
      failures++;
    }
    if (!flat) {
      console.error(
        `step ${done}: GPU buffers grew from ${baseline.count} (${baseline.bytes} bytes) to ${live.count} (${live.bytes} bytes)`,
      );
      failures++;
    }
  }
  sim.destroy();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `soak: ${failures === 0 ? 'passed' : `${failures} failures`} in ${seconds.toFixed(1)} s`,
  );
  return failures === 0 ? 0 : 1;
}

soak(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
