// The shaders bundled into the page by Vite.
import type { ShaderSources } from './shaders';

const files = import.meta.glob('../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
});

export const browserShaderSources: ShaderSources = Object.fromEntries(
  Object.entries(files).map(([path, source]) => [path.replace(/^.*\/(.*)\.wgsl$/, '$1'), source]),
);
