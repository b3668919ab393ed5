// The "3-D view" section of the study page: the particle cloud drawn on the GPU from the
// simulation's own buffer (src/gpu/point-cloud.ts), three coordinates and a colour chosen in
// pickers, an orbit camera (drag rotates, wheel zooms, arrow keys and +/− too). A frame is
// drawn in requestAnimationFrame only when something changed: a new log point, a picker or
// the camera. On the CPU backend there is no GPU buffer to draw from, so it says so.
import type { Moments, Simulation } from '../contract/simulation';
import type { EngineGpu } from '../gpu/device';
import {
  createPointCloud,
  DEFAULT_CAMERA,
  MAX_ELEVATION,
  type CloudColour,
  type OrbitCamera,
  type PointCloud,
} from '../gpu/point-cloud';
import { browserShaderSources } from '../gpu/shader-sources.browser';

const ROTATE_PER_PIXEL = 0.01;
const ROTATE_PER_KEY = 0.1;
const ZOOM_PER_WHEEL_PIXEL = 0.001;
const ZOOM_PER_KEY = 1.1;
const MIN_DISTANCE = 0.5;
const MAX_DISTANCE = 50;

const COLOUR_LABELS: Readonly<Record<CloudColour, string>> = {
  c: 'c (blue < 0 < orange)',
  alpha: '|α| (viridis, dark = small)',
  weight: '|c|·|α|, the weight in f (viridis)',
};

const CPU_NOTE =
  'The 3-D view draws every particle from the WebGPU simulation’s own buffer; it is not ' +
  'available on the CPU backend (the heat map above is).';

const coordinateName = (j: number, d: number): string => (j === d - 1 ? 'c' : `α_${j + 1}`);

export class CloudPanel {
  private readonly canvas = this.element<HTMLCanvasElement>('cloud');
  private readonly axisSelects = ['cloud-x', 'cloud-y', 'cloud-z'].map((id) =>
    this.element<HTMLSelectElement>(id),
  );
  private readonly colourSelect = this.element<HTMLSelectElement>('cloud-colour');
  private readonly note = this.element('cloud-note');
  private readonly enable = this.element<HTMLInputElement>('cloud-enable');
  private gpu: EngineGpu | null = null;
  private readonly camera: OrbitCamera = { ...DEFAULT_CAMERA };
  private context: GPUCanvasContext | null = null;
  private cloud: PointCloud | null = null;
  private sim: Simulation | null = null;
  private moments: Moments | null = null;
  private frame = 0;
  private drag: { x: number; y: number } | null = null;

  constructor() {
    for (const [value, label] of Object.entries(COLOUR_LABELS)) {
      this.colourSelect.add(new Option(label, value));
    }
    for (const select of [...this.axisSelects, this.colourSelect]) {
      select.addEventListener('change', () => this.schedule());
    }
    this.enable.addEventListener('change', () => {
      if (this.enable.checked) this.start();
      else this.stop();
    });
    this.canvas.addEventListener('pointerdown', (event) => {
      this.drag = { x: event.clientX, y: event.clientY };
      this.canvas.setPointerCapture(event.pointerId);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!this.drag) return;
      this.rotate(
        (event.clientX - this.drag.x) * ROTATE_PER_PIXEL,
        (event.clientY - this.drag.y) * ROTATE_PER_PIXEL,
      );
      this.drag = { x: event.clientX, y: event.clientY };
    });
    const endDrag = (): void => {
      this.drag = null;
    };
    this.canvas.addEventListener('pointerup', endDrag);
    this.canvas.addEventListener('pointercancel', endDrag);
    this.canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        this.zoom(Math.exp(event.deltaY * ZOOM_PER_WHEEL_PIXEL));
      },
      { passive: false },
    );
    this.canvas.addEventListener('keydown', (event) => {
      const keys: Record<string, () => void> = {
        ArrowLeft: () => this.rotate(-ROTATE_PER_KEY, 0),
        ArrowRight: () => this.rotate(ROTATE_PER_KEY, 0),
        ArrowUp: () => this.rotate(0, -ROTATE_PER_KEY),
        ArrowDown: () => this.rotate(0, ROTATE_PER_KEY),
        '+': () => this.zoom(1 / ZOOM_PER_KEY),
        '=': () => this.zoom(1 / ZOOM_PER_KEY),
        '-': () => this.zoom(ZOOM_PER_KEY),
      };
      const action = keys[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    });
  }

  /** Draws from `sim`'s particle buffer from now on (the WebGPU simulation on `gpu`). */
  attach(gpu: EngineGpu, sim: Simulation): void {
    this.detach();
    this.gpu = gpu;
    this.sim = sim;
    this.note.textContent = '';
    if (this.enable.checked) this.start();
  }

  /** Opt-in: presenting a WebGPU canvas loses the device in some headless Chromium builds. */
  private start(): void {
    const { gpu, sim } = this;
    if (!gpu || !sim || this.cloud) return;
    if (!this.context) {
      this.context = this.canvas.getContext('webgpu');
      if (!this.context) throw new Error('this canvas offers no WebGPU context');
    }
    const format = navigator.gpu.getPreferredCanvasFormat();
    this.context.configure({ device: gpu.device, format, alphaMode: 'opaque' });
    this.cloud = createPointCloud(gpu, sim, { format, shaders: browserShaderSources });
    this.schedule();
  }

  private stop(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.cloud?.destroy();
    this.cloud = null;
    this.context?.unconfigure();
  }

  /** Stops drawing (before the simulation's buffers are destroyed). */
  detach(): void {
    this.stop();
    this.gpu = null;
    this.sim = null;
    this.moments = null;
  }

  /** A new log point of `sim`: redraw with its moments (or, on the CPU, say why not). */
  update(sim: Simulation, moments: Moments): void {
    if (!this.gpu) {
      this.note.textContent = CPU_NOTE;
      return;
    }
    this.sim = sim;
    this.moments = moments;
    this.fillAxisSelects(sim.d);
    this.schedule();
  }

  private fillAxisSelects(d: number): void {
    if (this.axisSelects[0]!.options.length === d) return;
    const defaults = [0, Math.min(1, d - 1), d - 1];
    this.axisSelects.forEach((select, k) => {
      select.replaceChildren();
      for (let j = 0; j < d; j++) select.add(new Option(coordinateName(j, d), String(j)));
      select.value = String(defaults[k]);
    });
  }

  private rotate(dAzimuth: number, dElevation: number): void {
    this.camera.azimuth -= dAzimuth;
    this.camera.elevation = Math.min(
      MAX_ELEVATION,
      Math.max(-MAX_ELEVATION, this.camera.elevation + dElevation),
    );
    this.schedule();
  }

  private zoom(factor: number): void {
    this.camera.distance = Math.min(
      MAX_DISTANCE,
      Math.max(MIN_DISTANCE, this.camera.distance * factor),
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.frame || !this.cloud) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const { cloud, context, sim, moments } = this;
    if (!cloud || !context || !sim || !moments) return;
    const axes = this.axisSelects.map((select) => Number(select.value)) as [number, number, number];
    const colour = this.colourSelect.value as CloudColour;
    cloud.draw(context.getCurrentTexture(), { axes, colour, camera: this.camera, moments });
    const names = axes.map((j) => coordinateName(j, sim.d)).join(', ');
    this.canvas.setAttribute(
      'aria-label',
      `3-D view of all ${sim.n} particles at step ${sim.step}: (${names}), coloured by ` +
        COLOUR_LABELS[colour],
    );
    this.canvas.dataset['frames'] = String(Number(this.canvas.dataset['frames'] ?? 0) + 1);
  }

  private element<T extends HTMLElement>(id: string): T {
    const element = document.getElementById(id);
    if (!element) throw new Error(`the page has no #${id}`);
    return element as T;
  }
}
