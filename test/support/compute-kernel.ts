// One dispatch of a test kernel: `code` reads `input` at binding 0 and writes `outWords` words
// at binding 1, one invocation per case (workgroups of 64). Browser-safe (no Node, no Vitest),
// so the Node tests and the browser test page share it.

/** The words the kernel wrote; a validation error of the kernel is thrown, naming `what`. */
export async function runTestKernel(
  device: GPUDevice,
  what: string,
  code: string,
  input: Uint32Array<ArrayBuffer> | Float32Array<ArrayBuffer>,
  cases: number,
  outWords: number,
): Promise<Uint32Array> {
  const outBytes = 4 * outWords;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const inputBuffer = device.createBuffer({
    size: Math.max(16, input.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const outputBuffer = device.createBuffer({
    size: outBytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const staging = device.createBuffer({
    size: outBytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    device.queue.writeBuffer(inputBuffer, 0, input);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: inputBuffer } },
        { binding: 1, resource: { buffer: outputBuffer } },
      ],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(cases / 64));
    pass.end();
    encoder.copyBufferToBuffer(outputBuffer, 0, staging, 0, outBytes);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(`${what} test kernel: ${error.message}`);
    await staging.mapAsync(GPUMapMode.READ);
    return new Uint32Array(staging.getMappedRange().slice(0));
  } finally {
    inputBuffer.destroy();
    outputBuffer.destroy();
    staging.destroy();
  }
}
