// Uniform blocks laid out from the WGSL itself (webgpu-utils reads the structs' offsets), so
// that adding, moving or retyping a field there cannot leave the host writing the wrong
// words: the engine's SimParams and CallParams (shaders/bindings.wgsl), and the structs of
// the histogram and point-cloud kernels.
//
// webgpu-utils is pinned to 1.x: 2.x creates Float16Arrays when it loads, which Node 20
// lacks. It reads GPUShaderStage, which exists wherever a device does (in Node once
// openNodeGpu has installed Dawn's globals).
import {
  makeShaderDataDefinitions,
  makeStructuredView,
  type StructDefinition,
  type StructuredView,
} from 'webgpu-utils';
import type { ShaderSources } from './shaders';

/** SimParams: per particle shard, fixed for the run. Field names are the WGSL ones. */
export interface SimParams {
  readonly n: number;
  readonly num_groups: number;
  readonly groups_x: number;
  readonly sub_chunks: number;
  readonly key0: number;
  readonly key1: number;
  readonly partial_stride: number;
  readonly first_particle: number;
  readonly tau: number;
  readonly inv_prior_var: number;
  readonly huber_delta: number;
  readonly init_std: number;
  readonly first_group: number;
  readonly total_n: number;
  readonly total_groups: number;
}

/** CallParams: per call (a step, or a chunk of a loss evaluation). */
export interface CallParams {
  readonly k: number;
  readonly mode: number;
  readonly point_offset: number;
  readonly point_count: number;
  readonly data_count: number;
  readonly sigma: number;
}

export interface EngineUniforms {
  readonly simParams: StructDefinition;
  readonly callParams: StructDefinition;
}

/** The struct `name` of shaders/`file`.wgsl. */
function structOf(sources: ShaderSources, file: string, name: string): StructDefinition {
  const source = sources[file];
  if (source === undefined) throw new Error(`shader source "${file}.wgsl" is missing`);
  const definition = makeShaderDataDefinitions(source).structs[name];
  if (!definition) throw new Error(`${file}.wgsl has no struct ${name}`);
  return definition;
}

/** Views of one block of the struct `name` of shaders/`file`.wgsl, over a buffer of its own. */
export function structView(sources: ShaderSources, file: string, name: string): StructuredView {
  return makeStructuredView(structOf(sources, file, name));
}

/** The two structs of bindings.wgsl. */
export function engineUniforms(sources: ShaderSources): EngineUniforms {
  return {
    simParams: structOf(sources, 'bindings', 'SimParams'),
    callParams: structOf(sources, 'bindings', 'CallParams'),
  };
}

/**
 * Throws unless `values` names every field of `struct` but its padding, and nothing else:
 * a field the host forgot would otherwise stay 0.
 */
function checkFields(struct: StructDefinition, values: object, name: string): void {
  const fields = Object.keys(struct.fields).filter((field) => !field.startsWith('_pad'));
  const given = Object.keys(values);
  const missing = fields.filter((field) => !given.includes(field));
  const unknown = given.filter((field) => !fields.includes(field));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `${name} does not match bindings.wgsl: missing [${missing.join(', ')}], unknown [${unknown.join(', ')}]`,
    );
  }
}

/** The bytes of one SimParams block. */
export function simParamsBytes(uniforms: EngineUniforms, values: SimParams): ArrayBuffer {
  checkFields(uniforms.simParams, values, 'SimParams');
  const view = makeStructuredView(uniforms.simParams);
  view.set(values);
  return view.arrayBuffer;
}

/** `slots` CallParams blocks, `stride` bytes apart, in one buffer for dynamic offsets. */
export class CallSlots {
  readonly bytes: ArrayBuffer;
  /** 32-bit words of `bytes`, as writeBuffer takes them. */
  readonly words: Uint32Array<ArrayBuffer>;
  private readonly views: readonly StructuredView[];

  constructor(
    uniforms: EngineUniforms,
    slots: number,
    readonly stride: number,
  ) {
    if (uniforms.callParams.size > stride) {
      throw new Error(
        `CallParams (${uniforms.callParams.size} bytes) exceeds its slot of ${stride}`,
      );
    }
    this.bytes = new ArrayBuffer(slots * stride);
    this.words = new Uint32Array(this.bytes);
    this.views = Array.from({ length: slots }, (_, slot) =>
      makeStructuredView(uniforms.callParams, this.bytes, slot * stride),
    );
    checkFields(uniforms.callParams, EXAMPLE_CALL, 'CallParams');
  }

  set(slot: number, values: CallParams): void {
    this.views[slot]!.set(values);
  }
}

/** Field names of CallParams, checked once against the WGSL (set() runs every step). */
const EXAMPLE_CALL: CallParams = {
  k: 0,
  mode: 0,
  point_offset: 0,
  point_count: 0,
  data_count: 0,
  sigma: 0,
};
