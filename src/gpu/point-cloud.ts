// The particle cloud in 3-D, drawn by a render pipeline straight from the WebGPU simulation's
// particle buffer: no readback, one instanced quad per particle, every particle. Pipeline,
// buffers and bind group are made once; `draw` writes one uniform and records one pass.
// Depth-tested rather than additively blended: the colour is a quantity of each particle, and
// blending would mix the colours of overlapping particles into hues that mean nothing (and
// saturate to white in dense regions of millions); the depth test keeps the nearest
// particle's colour whatever the draw order.
import { mat4, type Mat4 } from 'wgpu-matrix';
import type { Moments, Simulation } from '../contract/simulation';
import type { EngineGpu } from './device';
import { composeShader, type ShaderSources } from './shaders';
import { particleShards } from './simulation';
import { structView } from './uniforms';

/** What colours a particle: c (signed), |α|, or its weight |c|·|α| in f. */
export type CloudColour = 'c' | 'alpha' | 'weight';
/** The CloudParams.axes.w codes of shaders/point-cloud.wgsl. */
const COLOUR_CODE: Readonly<Record<CloudColour, number>> = { c: 0, alpha: 1, weight: 2 };

const VERTICES_PER_QUAD = 6;
const DEPTH_FORMAT: GPUTextureFormat = 'depth24plus';
/** Coordinates are drawn as (x − mean) / (SPREAD · std): most of the cloud within ±1.5. */
const SPREAD = 2;

/** An orbit camera about the origin: angles in radians, distance in scaled units. */
export interface OrbitCamera {
  azimuth: number;
  elevation: number;
  distance: number;
}

export const DEFAULT_CAMERA: Readonly<OrbitCamera> = { azimuth: 0.6, elevation: 0.4, distance: 4 };
/** Short of ±π/2, so the view direction never lines up with the up vector. */
export const MAX_ELEVATION = 1.5;

export interface CloudView {
  /** Coordinate indices (< d; c is d − 1) on the x, y and z axes. */
  readonly axes: readonly [number, number, number];
  readonly colour: CloudColour;
  readonly camera: Readonly<OrbitCamera>;
  /** Centre, scale and colour range come from these (the caller's sim.moments()). */
  readonly moments: Moments;
}

export interface PointCloud {
  /** Records and submits one render pass into `target` (a canvas's current texture). */
  draw(target: GPUTexture, view: CloudView): void;
  destroy(): void;
}

/** Perspective × look-at of the orbit camera, into `dst` (no allocation per frame). */
export function orbitViewProjection(camera: OrbitCamera, aspect: number, dst?: Mat4): Mat4 {
  const { azimuth, elevation, distance } = camera;
  const eye = [
    distance * Math.cos(elevation) * Math.sin(azimuth),
    distance * Math.sin(elevation),
    distance * Math.cos(elevation) * Math.cos(azimuth),
  ];
  const projection = mat4.perspective(Math.PI / 4, aspect, distance / 100, distance * 10);
  const view = mat4.lookAt(eye, [0, 0, 0], [0, 1, 0]);
  return mat4.multiply(projection, view, dst);
}

/**
 * The colour range (lo, hi) of a quantity from the moments: c over ±(|mean| + 2 std), |α|
 * over [0, 2 √E|α|²], |c|·|α| over [0, 2 √(E c² · E|α|²)] (Cauchy–Schwarz bounds E|c||α|
 * by the square root; the moments hold no covariances).
 */
export function colourRange(moments: Moments, colour: CloudColour): [number, number] {
  const d = moments.mean.length;
  const second = (j: number): number => moments.mean[j]! ** 2 + moments.var[j]!;
  let alphaSecond = 0;
  for (let j = 0; j < d - 1; j++) alphaSecond += second(j);
  let lo = 0;
  let hi: number;
  if (colour === 'c') {
    hi = Math.abs(moments.mean[d - 1]!) + 2 * Math.sqrt(moments.var[d - 1]!);
    lo = -hi;
  } else if (colour === 'alpha') {
    hi = 2 * Math.sqrt(alphaSecond);
  } else {
    hi = 2 * Math.sqrt(second(d - 1) * alphaSecond);
  }
  // All particles equal (or all zero) still need a range of positive width.
  if (!(hi - lo > 1e-12) || !Number.isFinite(hi)) return [lo - 1, lo + 1];
  return [lo, hi];
}

/** `sim` must be the WebGPU simulation made on `gpu`'s device; `format` the canvas's. */
export function createPointCloud(
  gpu: EngineGpu,
  sim: Simulation,
  options: { format: GPUTextureFormat; shaders: ShaderSources; pointPixels?: number },
): PointCloud {
  const { format, shaders, pointPixels = 3 } = options;
  const device = gpu.device;
  const { d } = sim;
  const params = structView(shaders, 'point-cloud', 'CloudParams');
  const paramsBuffer = device.createBuffer({
    label: 'point cloud params',
    size: params.arrayBuffer.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const module = device.createShaderModule({
    label: 'point cloud',
    code: composeShader(shaders, ['point-cloud'], { D: d }),
  });
  const pipeline = device.createRenderPipeline({
    label: 'point cloud',
    layout: 'auto',
    vertex: { module, entryPoint: 'cloud_vertex' },
    fragment: { module, entryPoint: 'cloud_fragment', targets: [{ format }] },
    primitive: { topology: 'triangle-list' },
    depthStencil: { format: DEPTH_FORMAT, depthWriteEnabled: true, depthCompare: 'less' },
  });
  // One draw per particle buffer of the simulation.
  const shards = particleShards(sim).map((shard, index) => ({
    count: shard.count,
    bindGroup: device.createBindGroup({
      label: `point cloud ${index}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: paramsBuffer } },
        { binding: 1, resource: { buffer: shard.buffer } },
      ],
    }),
  }));
  const viewProjection = mat4.create();
  // Remade only when the target's size changes.
  let depth: GPUTexture | null = null;
  let destroyed = false;

  const depthFor = (target: GPUTexture): GPUTexture => {
    if (!depth || depth.width !== target.width || depth.height !== target.height) {
      depth?.destroy();
      depth = device.createTexture({
        label: 'point cloud depth',
        size: [target.width, target.height],
        format: DEPTH_FORMAT,
        usage: GPUTextureUsage.RENDER_ATTACHMENT,
      });
    }
    return depth;
  };

  return {
    draw(target, view) {
      if (destroyed) throw new Error('this point cloud was destroyed');
      const { axes, moments } = view;
      for (const j of axes) {
        if (!Number.isInteger(j) || j < 0 || j >= d) {
          throw new RangeError(`a coordinate index must be an integer in [0, ${d}), got ${j}`);
        }
      }
      orbitViewProjection(view.camera, target.width / target.height, viewProjection);
      const [lo, hi] = colourRange(moments, view.colour);
      params.set({
        view_proj: viewProjection,
        centre: axes.map((j) => moments.mean[j]!),
        inv_scale: axes.map((j) => {
          const std = Math.sqrt(moments.var[j]!);
          // A collapsed coordinate (all particles equal) is drawn flat, not divided by zero.
          return std > 0 && Number.isFinite(std) ? 1 / (SPREAD * std) : 1;
        }),
        axes: [...axes, COLOUR_CODE[view.colour]],
        colour: [lo, 1 / (hi - lo), pointPixels / target.width, pointPixels / target.height],
      });
      device.queue.writeBuffer(paramsBuffer, 0, params.arrayBuffer);

      const encoder = device.createCommandEncoder({ label: 'point cloud' });
      const pass = encoder.beginRenderPass({
        colorAttachments: [
          {
            view: target.createView(),
            clearValue: { r: 1, g: 1, b: 1, a: 1 },
            loadOp: 'clear',
            storeOp: 'store',
          },
        ],
        depthStencilAttachment: {
          view: depthFor(target).createView(),
          depthClearValue: 1,
          depthLoadOp: 'clear',
          depthStoreOp: 'discard',
        },
      });
      pass.setPipeline(pipeline);
      for (const shard of shards) {
        pass.setBindGroup(0, shard.bindGroup);
        pass.draw(VERTICES_PER_QUAD, shard.count);
      }
      pass.end();
      device.queue.submit([encoder.finish()]);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      paramsBuffer.destroy();
      depth?.destroy();
    },
  };
}
