"""A NumPy float32 implementation of the time step (SPEC §2), the bar issue 15 sets the CPU
reference against. Not part of the engine: a benchmark baseline only. The workload is
`mfld bench`'s and bench/cpu-step.ts's: d = 16 (p = 15 inputs), B = 64 drawn with replacement
from 4096 fixed points, tanh, square loss, σ = 0.05, τ = 0.1, s = 1. One α·z per particle and
data point per step, as in the CPU reference (which keeps φ from its fused forward pass).
The noise comes from NumPy's own generator, not Philox with Box–Muller: that is less work
than the contract asks for, so this baseline errs in NumPy's favour.

    npm run bench:numpy-step -- [--n 262144] [--blocks 5] [--steps 3] [--threads T]

--threads sets OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) before NumPy loads; without it BLAS
uses its default (every core). Prints particle-steps per second of wall clock and per
CPU-second of the process (all its threads), the medians of the timed blocks.
"""

import argparse
import os
import statistics
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--n", type=int, default=2**18)
parser.add_argument("--blocks", type=int, default=5)
parser.add_argument("--steps", type=int, default=3)
parser.add_argument("--threads", type=int, default=None)
args = parser.parse_args()
for flag in ("n", "blocks", "steps", "threads"):
    value = getattr(args, flag)
    if value is not None and value < 1:
        parser.error(f"--{flag} must be an integer ≥ 1")
if args.threads is not None:
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread count is set)

n, p, B, M = args.n, 15, 64, 4096
d = p + 1
f32 = np.float32
tau, sigma, prior = f32(0.1), f32(0.05), f32(1.0)
rng = np.random.default_rng(1)
Z = rng.standard_normal((M, p), dtype=f32)
Y = rng.standard_normal(M, dtype=f32)
x = rng.standard_normal((n, d), dtype=f32)
rate = f32(sigma * sigma / (2 * prior * prior))
noise = f32(sigma * np.sqrt(tau))
inv_b, inv_n = f32(1 / B), f32(1 / n)


def step(x):
    idx = rng.integers(0, M, B)
    z, yb = Z[idx], Y[idx]
    a, c = x[:, :p], x[:, p]
    phi = np.tanh(a @ z.T)  # n × B
    w = f32(2) * (yb - (c @ phi) * inv_n)  # Φ'(r) = 2r of the square loss
    drift = np.empty_like(x)
    drift[:, p] = phi @ w
    drift[:, :p] = ((f32(1) - phi * phi) * (c[:, None] * w[None, :])) @ z
    drift *= inv_b
    drift -= rate * x
    return x + tau * drift + noise * rng.standard_normal((n, d), dtype=f32)


x = step(x)  # warm-up
wall, cpu = [], []
for _ in range(args.blocks):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        x = step(x)
    w1, c1 = time.perf_counter(), time.process_time()
    wall.append(n * args.steps / (w1 - w0))
    cpu.append(n * args.steps / (c1 - c0))
assert x.dtype == f32 and np.isfinite(x).all()

blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
print(
    f"numpy {np.__version__}, float32, n = {n}, d = {d}, B = {B}, tanh, BLAS threads {blas}; "
    f"{args.blocks} blocks of {args.steps} steps"
)
print(
    f"median {statistics.median(wall) / 1e3:.0f} k particle-steps/s (wall), "
    f"{statistics.median(cpu) / 1e3:.0f} k per CPU-second "
    f"(blocks, wall: {' '.join(f'{r / 1e3:.0f}' for r in wall)})"
)
