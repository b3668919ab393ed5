// A checked-in WebAssembly module (a NAME.wasm.ts generated from NAME.wat, see compile.ts)
// as a compiled WebAssembly.Module: synchronous, and the same in Node, the page and workers.

const compiled = new Map<string, WebAssembly.Module>();

/** The module whose binary is `base64` (a generated WASM_BASE64), compiled once per thread. */
export function wasmModule(base64: string): WebAssembly.Module {
  let module = compiled.get(base64);
  if (!module) {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    module = new WebAssembly.Module(bytes);
    compiled.set(base64, module);
  }
  return module;
}
