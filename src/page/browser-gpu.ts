// The page's WebGPU device: opened on first use, watched for loss and uncaptured errors, and
// let go of when it failed, so that the next run opens a new one.
import { openBrowserGpu, type EngineGpu } from '../gpu/device';

/** A browser's message without its final full stop, to go inside ours. */
const sentence = (text: string): string => text.trim().replace(/\.$/, '');

export interface GpuFailure {
  readonly gpu: EngineGpu;
  readonly message: string;
  /** Lost (no longer usable), rather than an uncaptured error (no longer trusted). */
  readonly lost: boolean;
}

export class BrowserGpu {
  private pending: Promise<EngineGpu | null> | null = null;
  /** The device `pending` resolved to; a new one is opened once it fails. */
  private current: EngineGpu | null = null;
  /**
   * Devices the page destroyed itself. Their loss is no failure; any other loss is, whatever
   * its reason (`destroy()` by a driver reset or by a test reads 'destroyed' too).
   */
  private readonly retired = new WeakSet<GPUDevice>();

  constructor(private readonly onFailure: (failure: GpuFailure) => void) {}

  /** The device, or null without WebGPU. */
  get(): Promise<EngineGpu | null> {
    this.pending ??= openBrowserGpu()
      .catch(() => null)
      .then((gpu) => {
        if (gpu) this.watch(gpu);
        this.current = gpu;
        return gpu;
      });
    return this.pending;
  }

  /**
   * Lets go of `gpu` if it is the current device: the next get() opens a new one. It is
   * destroyed unless something else still uses it (`inUse`).
   */
  retire(gpu: EngineGpu | null, inUse: boolean): void {
    if (gpu === null || gpu !== this.current) return;
    this.pending = null;
    this.current = null;
    if (!inUse) {
      this.retired.add(gpu.device);
      gpu.device.destroy();
    }
  }

  private watch(gpu: EngineGpu): void {
    gpu.device.addEventListener('uncapturederror', (event) => {
      const message = `WebGPU error: ${sentence(event.error.message)}`;
      // Shown in the page instead of the browser's console line.
      event.preventDefault();
      console.warn(message);
      this.onFailure({ gpu, message, lost: false });
    });
    void gpu.device.lost.then((info) => {
      if (this.retired.has(gpu.device)) return;
      if (gpu === this.current) {
        this.pending = null;
        this.current = null;
      }
      const message = `the GPU device was lost (${info.reason}): ${sentence(info.message) || 'no detail given'}`;
      this.onFailure({ gpu, message, lost: true });
    });
  }
}
