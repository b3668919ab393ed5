// The 3-D view's render pipeline, drawn into an offscreen texture and read back: headless
// Chromium on SwiftShader loses its device when presenting a WebGPU canvas, but rendering to
// a texture exercises the same shader, pipeline and camera.
import { describe, expect, it } from 'vitest';
import type { Dynamics } from '../src/contract/simulation';
import { createPointCloud, DEFAULT_CAMERA, type CloudView } from '../src/gpu/point-cloud';
import { createGpuSimulation } from '../src/gpu/simulation';
import { noDataProblem } from './support/cpu-fixtures';
import { shaders, useGpu } from './gpu-harness';

const gpu = useGpu();
const SIZE = 128;
const FORMAT: GPUTextureFormat = 'rgba8unorm';

const dynamics: Dynamics = {
  n: 2048,
  sigma: 1,
  sigmaFinal: null,
  annealSteps: 0,
  tau: 0.1,
  batch: 'full',
  activation: 'tanh',
  loss: 'square',
  huberDelta: 1,
  priorStd: 1,
  initStd: 1,
  seed: 3,
};
/** Renders the view and returns the RGBA pixels, SIZE × SIZE. */
async function render(draw: (target: GPUTexture) => void): Promise<Uint8Array> {
  const { device } = gpu();
  const target = device.createTexture({
    size: [SIZE, SIZE],
    format: FORMAT,
    usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
  });
  const bytesPerRow = SIZE * 4; // a multiple of 256, as copies require
  const staging = device.createBuffer({
    size: bytesPerRow * SIZE,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  try {
    draw(target);
    const encoder = device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture: target }, { buffer: staging, bytesPerRow }, [
      SIZE,
      SIZE,
    ]);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return new Uint8Array(staging.getMappedRange().slice(0));
  } finally {
    target.destroy();
    staging.destroy();
  }
}

/** Pixels that are not the white background. */
const inked = (pixels: Uint8Array): number => {
  let count = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i]! < 250 || pixels[i + 1]! < 250 || pixels[i + 2]! < 250) count++;
  }
  return count;
};

const differing = (a: Uint8Array, b: Uint8Array): number => {
  let count = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) count++;
  }
  return count;
};

describe('3-D point cloud', () => {
  it('draws the particles from the storage buffer; the camera and the colour change the image', async () => {
    const sim = await createGpuSimulation(gpu(), noDataProblem(3), dynamics, shaders);
    const cloud = createPointCloud(gpu(), sim, { format: FORMAT, shaders });
    try {
      const view: CloudView = {
        axes: [0, 1, 3],
        colour: 'c',
        camera: DEFAULT_CAMERA,
        moments: await sim.moments(),
      };
      const front = await render((target) => cloud.draw(target, view));
      // 2048 points of 3 px on 128² pixels: a visible cloud, far from an empty or full frame.
      expect(inked(front)).toBeGreaterThan(500);
      expect(inked(front)).toBeLessThan(SIZE * SIZE);
      const turned = await render((target) =>
        cloud.draw(target, {
          ...view,
          camera: { ...DEFAULT_CAMERA, azimuth: DEFAULT_CAMERA.azimuth + 1 },
        }),
      );
      expect(differing(front, turned)).toBeGreaterThan(200);
      const recoloured = await render((target) => cloud.draw(target, { ...view, colour: 'alpha' }));
      expect(differing(front, recoloured)).toBeGreaterThan(200);
      expect(() =>
        cloud.draw({ width: SIZE, height: SIZE } as GPUTexture, { ...view, axes: [0, 1, 4] }),
      ).toThrow(/coordinate index must be an integer in \[0, 4\), got 4/);
    } finally {
      cloud.destroy();
      sim.destroy();
    }
  });

  it('draws a simulation split over several particle buffers as it draws one buffer', async () => {
    const whole = await createGpuSimulation(gpu(), noDataProblem(3), dynamics, shaders);
    const split = await createGpuSimulation(gpu(), noDataProblem(3), dynamics, shaders, {
      maxBufferBytes: 640 * 4 * 4,
    });
    const clouds = [whole, split].map((sim) =>
      createPointCloud(gpu(), sim, { format: FORMAT, shaders }),
    );
    try {
      const moments = await whole.moments();
      const view: CloudView = { axes: [0, 1, 3], colour: 'c', camera: DEFAULT_CAMERA, moments };
      const [one, several] = [
        await render((target) => clouds[0]!.draw(target, view)),
        await render((target) => clouds[1]!.draw(target, view)),
      ];
      expect(inked(several)).toBeGreaterThan(500);
      expect(differing(one, several)).toBe(0);
    } finally {
      for (const cloud of clouds) cloud.destroy();
      whole.destroy();
      split.destroy();
    }
  });
});
