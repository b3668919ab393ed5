// Device loss and unexpected WebGPU errors, watched for the engine: once either happens the
// simulation's results can no longer be trusted, so every later operation reports it.
import { GpuDeviceLostError } from '../contract/simulation';

export class DeviceWatch {
  /** Rejects when the device is lost (driver reset, GPU removed, out of memory). */
  private readonly lost: Promise<never>;
  private lostMessage: string | null = null;
  private readonly onUncapturedError: (event: GPUUncapturedErrorEvent) => void;

  constructor(private readonly device: GPUDevice) {
    this.lost = device.lost.then((info) => {
      this.lostMessage = `the GPU device was lost (${info.reason}): ${info.message || 'no detail given'}`;
      throw new GpuDeviceLostError(this.lostMessage);
    });
    // Nobody may be waiting on the device when it is lost; the next operation reports it.
    this.lost.catch(() => undefined);
    // Errors outside the engine's error scopes: a device that made one is not trusted again.
    this.onUncapturedError = (event: GPUUncapturedErrorEvent) => {
      this.lostMessage ??= `WebGPU reported an error the engine did not expect (${event.error.message.split('\n')[0]}); the results can no longer be trusted`;
    };
    device.addEventListener('uncapturederror', this.onUncapturedError);
  }

  /** Throws GpuDeviceLostError once the device was lost or made an unexpected error. */
  assertTrusted(): void {
    if (this.lostMessage !== null) throw new GpuDeviceLostError(this.lostMessage);
  }

  /** `work`, unless the device is lost first: then a GpuDeviceLostError instead of a hang. */
  orLost<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.lost]);
  }

  stop(): void {
    this.device.removeEventListener('uncapturederror', this.onUncapturedError);
  }
}
