// Choosing the backend of a run in Node: `auto` takes the WebGPU engine on a hardware adapter,
// else the CPU reference (decideBackend, before the WebGPU environment is entered);
// openSimulation opens it. openSimulation's process must already have the environment
// resolveWebGpuEnv() chose.
import type { BackendChoice } from '../contract/config';
import {
  DeviceLimitError,
  type Dynamics,
  type Problem,
  type Simulation,
} from '../contract/simulation';
import { autoBackend, autoBackendLine, softwareAutoBackend } from '../gpu/device';
import { RESOLVED_MARK, resolveWebGpuEnv } from './webgpu-env';

/** The chosen backend cannot run here; the message says why and what to do. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

export interface BackendOptions {
  /** CPU backend worker threads (default: one per core). */
  readonly threads?: number;
  /** Tells the user something they should know (here: a fallback to the CPU). */
  notice(message: string): void;
}

export const NO_ADAPTER_NOTICE =
  'No WebGPU adapter found (no GPU, and no Chrome/Chromium with SwiftShader); running on the CPU backend.';

export interface BackendDecision {
  /** What to pass to openSimulation: `cpu` where `auto` chose the CPU reference. */
  readonly choice: BackendChoice;
  /** The backend and why, in one line: `cpu: auto chose the CPU reference: …`. */
  readonly line: string;
}

/**
 * The backend `choice` runs on here, decided before the WebGPU environment is entered (so
 * that `auto` on SwiftShader neither restarts the process for it nor starts Dawn): `auto`
 * takes a hardware adapter and leaves a software one (SwiftShader, llvmpipe, WARP) for the
 * CPU reference, which is faster there; `webgpu` and `cpu` are taken as asked.
 */
export async function decideBackend(choice: BackendChoice): Promise<BackendDecision> {
  if (choice !== 'auto') return { choice, line: `${choice}, as asked by --backend ${choice}` };
  const force = '; --backend webgpu forces the GPU';
  const mark = process.env[RESOLVED_MARK] ?? resolveWebGpuEnv()[RESOLVED_MARK];
  // SwiftShader is only ever found in an installed Chrome or Chromium.
  if (mark === 'swiftshader') {
    const auto = softwareAutoBackend('SwiftShader from the installed Chrome or Chromium');
    return { choice: 'cpu', line: autoBackendLine(auto) + force };
  }
  // 'system' or 'none' need no environment of their own: keep the probe's answer.
  if (mark !== undefined) process.env[RESOLVED_MARK] = mark;
  const { openNodeGpu } = await import('./gpu');
  const gpu = mark === 'none' ? null : await openNodeGpu();
  gpu?.device.destroy();
  const auto = autoBackend(gpu?.adapter ?? null);
  if (auto.backend === 'webgpu') return { choice: 'auto', line: autoBackendLine(auto) };
  return { choice: 'cpu', line: autoBackendLine(auto) + (gpu ? force : '') };
}

/**
 * A simulation on the chosen backend. `auto` takes WebGPU when there is a hardware adapter
 * and the problem fits it, else the CPU (with a notice; the CLI decides first with
 * decideBackend and passes `cpu` where auto takes the CPU); `webgpu` fails with a BackendUnavailableError
 * when there is no adapter or the problem does not fit it.
 */
export async function openSimulation(
  problem: Problem,
  dynamics: Dynamics,
  choice: BackendChoice,
  options: BackendOptions,
): Promise<Simulation> {
  if (choice !== 'cpu') {
    const simulation = await openGpuSimulation(problem, dynamics, choice, options);
    if (simulation) return simulation;
  }
  const { createCpuSimulation } = await import('../cpu/reference');
  try {
    return await createCpuSimulation(
      problem,
      dynamics,
      options.threads === undefined ? {} : { threads: options.threads },
    );
  } catch (error) {
    if (error instanceof DeviceLimitError) throw new BackendUnavailableError(error.message);
    throw error;
  }
}

/** The WebGPU simulation, or null when `auto` should fall back to the CPU. */
async function openGpuSimulation(
  problem: Problem,
  dynamics: Dynamics,
  choice: 'auto' | 'webgpu',
  options: BackendOptions,
): Promise<Simulation | null> {
  // A probe of this environment already found no adapter: do not start Dawn again.
  const knownAbsent = process.env[RESOLVED_MARK] === 'none';
  const { openNodeGpu, readShaderSources } = await import('./gpu');
  const gpu = knownAbsent ? null : await openNodeGpu();
  if (!gpu) {
    if (choice === 'webgpu') {
      throw new BackendUnavailableError(
        'no WebGPU adapter found: there is no usable GPU, and no Chrome or Chromium whose ' +
          'SwiftShader could stand in. Install Chrome or Chromium (or set MFLD_SWIFTSHADER_DIR ' +
          'to a folder holding vk_swiftshader_icd.json), or use --backend cpu.',
      );
    }
    options.notice(NO_ADAPTER_NOTICE);
    return null;
  }
  const auto = choice === 'auto' ? autoBackend(gpu.adapter) : null;
  if (auto?.backend === 'cpu') {
    gpu.device.destroy();
    options.notice(`${autoBackendLine(auto)}; --backend webgpu forces the GPU`);
    return null;
  }
  const { createGpuSimulation } = await import('../gpu/simulation');
  try {
    // The device was opened for this simulation: a sweep opens many, and none may linger.
    return await createGpuSimulation(gpu, problem, dynamics, readShaderSources(), {
      ownsDevice: true,
    });
  } catch (error) {
    gpu.device.destroy();
    if (!(error instanceof DeviceLimitError)) throw error;
    if (choice === 'webgpu') throw new BackendUnavailableError(error.message);
    options.notice(`${error.message}; running on the CPU backend.`);
    return null;
  }
}
