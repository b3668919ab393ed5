// Finding a WebGPU adapter in Node (package `webgpu`, Dawn). A real GPU comes first; on a
// machine without one, SwiftShader from an installed Chrome or Chromium. Dawn loads the
// Vulkan loader and its drivers when the process starts its first instance, and the dynamic
// linker reads LD_LIBRARY_PATH only at process start, so choosing SwiftShader means starting
// a process with that environment: a probe in a child process says which environment works.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';

/** Folders where Chrome and Chromium put SwiftShader's Vulkan driver and loader. */
const BROWSER_DIRS = [
  '/usr/lib/chromium',
  '/usr/lib/chromium-browser',
  '/usr/lib64/chromium-browser',
  '/opt/google/chrome',
  '/opt/google/chrome-beta',
  '/opt/google/chrome-unstable',
  '/snap/chromium/current/usr/lib/chromium-browser',
];

const SWIFTSHADER_ICD = 'vk_swiftshader_icd.json';
/** Set in an environment that this module has already resolved, so nothing probes twice. */
export const RESOLVED_MARK = 'MFLD_WEBGPU_ENV_RESOLVED';

/** The folder of an installed Chrome/Chromium holding SwiftShader, or null. `MFLD_SWIFTSHADER_DIR` overrides. */
export function findSwiftShaderDir(): string | null {
  const override = process.env['MFLD_SWIFTSHADER_DIR'];
  const dirs = override ? [override] : BROWSER_DIRS;
  return dirs.find((dir) => existsSync(join(dir, SWIFTSHADER_ICD))) ?? null;
}

/** Environment additions that make Dawn use SwiftShader from `dir`. */
export function swiftShaderEnv(dir: string): Record<string, string> {
  const libraryPath = process.env['LD_LIBRARY_PATH'];
  return {
    LD_LIBRARY_PATH: libraryPath ? `${dir}:${libraryPath}` : dir,
    VK_ICD_FILENAMES: join(dir, SWIFTSHADER_ICD),
    XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? '/tmp',
  };
}

const PROBE = `
import { create } from 'webgpu';
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
process.stdout.write(adapter ? 'adapter' : 'none');
process.exit(0);
`;

/** Whether a child process with `env` gets a WebGPU adapter from Dawn. */
export function probeAdapter(env: NodeJS.ProcessEnv): boolean {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
    env,
    cwd: import.meta.dirname,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return result.stdout.trim() === 'adapter';
}

/**
 * The environment additions this process's children need to reach a WebGPU adapter:
 * `{}` when one is found as things are (a real GPU) or when none can be found at all,
 * SwiftShader's when that is what works.
 */
export function resolveWebGpuEnv(): Record<string, string> {
  if (process.env[RESOLVED_MARK]) return {};
  if (probeAdapter(process.env)) return { [RESOLVED_MARK]: 'system' };
  const dir = findSwiftShaderDir();
  if (dir) {
    const extra = swiftShaderEnv(dir);
    if (probeAdapter({ ...process.env, ...extra }))
      return { ...extra, [RESOLVED_MARK]: 'swiftshader' };
  }
  return { [RESOLVED_MARK]: 'none' };
}

/**
 * Makes this process able to reach a WebGPU adapter. Returns null when it can go on here
 * (the environment already works, or no adapter can be found at all: then the mark says
 * `none`); otherwise runs this same command again in a child process with SwiftShader's
 * environment, since the dynamic linker reads LD_LIBRARY_PATH only at process start, and
 * returns the child's exit code.
 */
export async function enterWebGpuEnv(): Promise<number | null> {
  const extra = resolveWebGpuEnv();
  if (!Object.keys(extra).some((name) => name !== RESOLVED_MARK)) {
    Object.assign(process.env, extra);
    return null;
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, ...extra },
    stdio: 'inherit',
  });
  // A terminal's Ctrl-C reaches the child as well (the same process group), which stops its
  // work in order (interruptible in src/cli/output.ts); this process only waits for it. A SIGTERM sent to this process
  // alone is passed on, so that the child does not outlive it.
  const waitForChild = (): void => {};
  const passOn = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGINT', waitForChild);
  process.on('SIGTERM', passOn);
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const signalNumber = signal === null ? 0 : (osConstants.signals[signal] ?? 0);
      resolve(code ?? 128 + signalNumber);
    });
  }).finally(() => {
    process.off('SIGINT', waitForChild);
    process.off('SIGTERM', passOn);
  });
}
