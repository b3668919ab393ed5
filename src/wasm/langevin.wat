;; The noise and the move of the CPU kernel (src/cpu/kernel.ts, src/cpu/noise.ts): Philox,
;; Box–Muller and the Euler–Maruyama update of SPEC §2–3, each with the bits of its plain
;; JavaScript (src/contract/philox.ts, src/contract/box-muller.ts, the kernel's plain loop),
;; and the widening of a group of float32 particles to double.
;; Compiled by `npm run wasm` into langevin.wasm.ts; src/cpu/products.ts describes each
;; function. Addresses are bytes into the kernel's memory.
(module
  (import "kernel" "memory" (memory 1))

  ;; Philox4x32-10 (SPEC §3) of four blocks side by side, one in each i32 lane: counters
  ;; (a, k, stream, block + lane) under the key (key0, key1). Writes the 16 output words at
  ;; $out word by word: word w of the block in lane l at $out + 16 w + 4 l. The 32 × 32-bit
  ;; products come whole from i64x2.extmul, their halves picked out by shuffles.
  (func $philox4 (export "philox4") (param $a i32) (param $k i32) (param $stream i32) (param $block i32)
      (param $key0 i32) (param $key1 i32) (param $out i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $k0 v128) (local $k1 v128) (local $m0 v128) (local $m1 v128)
    (local $p01 v128) (local $p23 v128) (local $lo0 v128) (local $hi0 v128) (local $lo1 v128)
    (local $hi1 v128) (local $round i32)
    (local.set $x0 (i32x4.splat (local.get $a)))
    (local.set $x1 (i32x4.splat (local.get $k)))
    (local.set $x2 (i32x4.splat (local.get $stream)))
    (local.set $x3 (i32x4.add (i32x4.splat (local.get $block)) (v128.const i32x4 0 1 2 3)))
    (local.set $k0 (i32x4.splat (local.get $key0)))
    (local.set $k1 (i32x4.splat (local.get $key1)))
    (local.set $m0 (v128.const i32x4 0xd2511f53 0xd2511f53 0xd2511f53 0xd2511f53))
    (local.set $m1 (v128.const i32x4 0xcd9e8d57 0xcd9e8d57 0xcd9e8d57 0xcd9e8d57))
    (loop $rounds
      ;; M0 x0: low and high words of the four products.
      (local.set $p01 (i64x2.extmul_low_i32x4_u (local.get $m0) (local.get $x0)))
      (local.set $p23 (i64x2.extmul_high_i32x4_u (local.get $m0) (local.get $x0)))
      (local.set $lo0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
        (local.get $p01) (local.get $p23)))
      (local.set $hi0 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
        (local.get $p01) (local.get $p23)))
      ;; M1 x2
      (local.set $p01 (i64x2.extmul_low_i32x4_u (local.get $m1) (local.get $x2)))
      (local.set $p23 (i64x2.extmul_high_i32x4_u (local.get $m1) (local.get $x2)))
      (local.set $lo1 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
        (local.get $p01) (local.get $p23)))
      (local.set $hi1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
        (local.get $p01) (local.get $p23)))
      (local.set $x0 (v128.xor (v128.xor (local.get $hi1) (local.get $x1)) (local.get $k0)))
      (local.set $x1 (local.get $lo1))
      (local.set $x2 (v128.xor (v128.xor (local.get $hi0) (local.get $x3)) (local.get $k1)))
      (local.set $x3 (local.get $lo0))
      (local.set $k0 (i32x4.add (local.get $k0)
        (v128.const i32x4 0x9e3779b9 0x9e3779b9 0x9e3779b9 0x9e3779b9)))
      (local.set $k1 (i32x4.add (local.get $k1)
        (v128.const i32x4 0xbb67ae85 0xbb67ae85 0xbb67ae85 0xbb67ae85)))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 10))))
    (v128.store offset=0 align=4 (local.get $out) (local.get $x0))
    (v128.store offset=16 align=4 (local.get $out) (local.get $x1))
    (v128.store offset=32 align=4 (local.get $out) (local.get $x2))
    (v128.store offset=48 align=4 (local.get $out) (local.get $x3)))

  ;; Box–Muller of SPEC §3 on the 16 words philox4 leaves at $words, to the 16 Gaussians of its
  ;; four blocks at $out (block l's four at $out + 32 l): the bits of gaussianPair in
  ;; src/contract/box-muller.ts, each lane taking that function's steps in its order (its
  ;; constants, in decimal as there). Two blocks per pass, one per lane; pass i takes blocks
  ;; 2 (i >> 1) and 2 (i >> 1) + 1, the pair (w0, w1) (i even) or (w2, w3) (i odd). Where that
  ;; function looks up a table, the lane builds the value from bits: 2^-e from its exponent,
  ;; and cos 2πu, sin 2πu from the octant as ±cos t or ±sin t (its table sums are exactly that).
  (func $boxMuller (export "boxMuller") (param $words i32) (param $out i32)
    (local $i i32) (local $src i32) (local $dst i32)
    (local $v v128) (local $ebits v128) (local $g v128) (local $s v128) (local $z v128)
    (local $w v128) (local $r v128) (local $hfsq v128) (local $k v128) (local $radius v128)
    (local $n v128) (local $octant v128) (local $t v128) (local $sinT v128) (local $cosT v128)
    (local $hz v128) (local $useCos v128) (local $cos v128) (local $sin v128)
    (local $one v128) (local $half v128) (local $sign v128)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $half (v128.const f64x2 0.5 0.5))
    (local.set $sign (v128.const i64x2 0x8000000000000000 0x8000000000000000))
    (loop $passes
      (local.set $src (i32.add (local.get $words)
        (i32.add (i32.shl (i32.shr_u (local.get $i) (i32.const 1)) (i32.const 3))
          (i32.shl (i32.and (local.get $i) (i32.const 1)) (i32.const 5)))))
      (local.set $dst (i32.add (local.get $out)
        (i32.add (i32.shl (i32.shr_u (local.get $i) (i32.const 1)) (i32.const 6))
          (i32.shl (i32.and (local.get $i) (i32.const 1)) (i32.const 4)))))
      ;; logUniform: v = 2 (w >>> 9) + 1 = f 2^e; e = ⌊log2 ⌊v √2⌋⌋ is the exponent of v √2.
      (local.set $v (f64x2.add
        (f64x2.mul (v128.const f64x2 2 2)
          (f64x2.convert_low_i32x4_u
            (i32x4.shr_u (v128.load64_zero (local.get $src)) (i32.const 9))))
        (local.get $one)))
      (local.set $ebits (i64x2.shr_u
        (f64x2.mul (local.get $v) (v128.const f64x2 1.4142135623730951 1.4142135623730951))
        (i32.const 52)))
      ;; g = v 2^-e − 1, 2^-e having the biased exponent 1023 − e = 2046 − ebits.
      (local.set $g (f64x2.sub
        (f64x2.mul (local.get $v)
          (i64x2.shl (i64x2.sub (v128.const i64x2 2046 2046) (local.get $ebits)) (i32.const 52)))
        (local.get $one)))
      (local.set $s (f64x2.div (local.get $g) (f64x2.add (v128.const f64x2 2 2) (local.get $g))))
      (local.set $z (f64x2.mul (local.get $s) (local.get $s)))
      (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
      (local.set $r (f64x2.add
        (f64x2.mul (local.get $z)
          (f64x2.add (v128.const f64x2 6.66666666666673513e-1 6.66666666666673513e-1)
            (f64x2.mul (local.get $w)
              (f64x2.add (v128.const f64x2 2.857142874366239149e-1 2.857142874366239149e-1)
                (f64x2.mul (local.get $w)
                  (f64x2.add (v128.const f64x2 1.818357216161805012e-1 1.818357216161805012e-1)
                    (f64x2.mul (local.get $w)
                      (v128.const f64x2 1.479819860511658591e-1 1.479819860511658591e-1))))))))
        (f64x2.mul (local.get $w)
          (f64x2.add (v128.const f64x2 3.999999999940941908e-1 3.999999999940941908e-1)
            (f64x2.mul (local.get $w)
              (f64x2.add (v128.const f64x2 2.222219843214978396e-1 2.222219843214978396e-1)
                (f64x2.mul (local.get $w)
                  (v128.const f64x2 1.531383769920937332e-1 1.531383769920937332e-1))))))))
      (local.set $hfsq (f64x2.mul (f64x2.mul (local.get $half) (local.get $g)) (local.get $g)))
      ;; k = e − 24 = ebits − 1047, as a double: (2^52 + ebits) − (2^52 + 1047), exactly.
      (local.set $k (f64x2.sub
        (v128.or (local.get $ebits) (v128.const i64x2 0x4330000000000000 0x4330000000000000))
        (v128.const f64x2 0x1.0000000000417p52 0x1.0000000000417p52)))
      ;; radius = √(−2 (k LN2_HI − (hfsq − (s (hfsq + R) + k LN2_LO) − g)))
      (local.set $radius (f64x2.sqrt (f64x2.mul (v128.const f64x2 -2 -2)
        (f64x2.sub
          (f64x2.mul (local.get $k)
            (v128.const f64x2 6.9314718036912381649e-1 6.9314718036912381649e-1))
          (f64x2.sub
            (f64x2.sub (local.get $hfsq)
              (f64x2.add
                (f64x2.mul (local.get $s) (f64x2.add (local.get $hfsq) (local.get $r)))
                (f64x2.mul (local.get $k)
                  (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10))))
            (local.get $g))))))
      ;; The angle 2π u1: octant n >>> 20 of n = w >>> 9, t from the octant's nearer end.
      (local.set $n (i32x4.shr_u (v128.load64_zero offset=16 (local.get $src)) (i32.const 9)))
      (local.set $octant (i32x4.shr_u (local.get $n) (i32.const 20)))
      (local.set $t (f64x2.mul
        (f64x2.add
          (f64x2.convert_low_i32x4_u
            (v128.xor (v128.and (local.get $n) (v128.const i32x4 0xfffff 0xfffff 0xfffff 0xfffff))
              (v128.and
                (i32x4.neg (v128.and (local.get $octant) (v128.const i32x4 1 1 1 1)))
                (v128.const i32x4 0xfffff 0xfffff 0xfffff 0xfffff))))
          (local.get $half))
        (v128.const f64x2 0x1.921fb54442d18p-21 0x1.921fb54442d18p-21)))
      (local.set $z (f64x2.mul (local.get $t) (local.get $t)))
      (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
      ;; sin t = t + z t (S1 + z (S2 + z (S3 + z S4) + z w (S5 + z S6)))
      (local.set $sinT (f64x2.add (local.get $t)
        (f64x2.mul (f64x2.mul (local.get $z) (local.get $t))
          (f64x2.add (v128.const f64x2 -1.66666666666666324348e-1 -1.66666666666666324348e-1)
            (f64x2.mul (local.get $z)
              (f64x2.add
                (f64x2.add (v128.const f64x2 8.33333333332248946124e-3 8.33333333332248946124e-3)
                  (f64x2.mul (local.get $z)
                    (f64x2.add
                      (v128.const f64x2 -1.98412698298579493134e-4 -1.98412698298579493134e-4)
                      (f64x2.mul (local.get $z)
                        (v128.const f64x2 2.75573137070700676789e-6 2.75573137070700676789e-6)))))
                (f64x2.mul (f64x2.mul (local.get $z) (local.get $w))
                  (f64x2.add
                    (v128.const f64x2 -2.50507602534068634195e-8 -2.50507602534068634195e-8)
                    (f64x2.mul (local.get $z)
                      (v128.const f64x2 1.58969099521155010221e-10 1.58969099521155010221e-10))))))))))
      ;; r = z (C1 + z (C2 + z C3)) + w w (C4 + z (C5 + z C6))
      (local.set $r (f64x2.add
        (f64x2.mul (local.get $z)
          (f64x2.add (v128.const f64x2 4.16666666666666019037e-2 4.16666666666666019037e-2)
            (f64x2.mul (local.get $z)
              (f64x2.add (v128.const f64x2 -1.38888888888741095749e-3 -1.38888888888741095749e-3)
                (f64x2.mul (local.get $z)
                  (v128.const f64x2 2.48015872894767294178e-5 2.48015872894767294178e-5))))))
        (f64x2.mul (f64x2.mul (local.get $w) (local.get $w))
          (f64x2.add (v128.const f64x2 -2.75573143513906633035e-7 -2.75573143513906633035e-7)
            (f64x2.mul (local.get $z)
              (f64x2.add (v128.const f64x2 2.0875723212981748279e-9 2.0875723212981748279e-9)
                (f64x2.mul (local.get $z)
                  (v128.const f64x2 -1.13596475577881948265e-11 -1.13596475577881948265e-11))))))))
      ;; cos t = v + (1 − v − hz + z r), v = 1 − hz, hz = z/2 (v reuses $v)
      (local.set $hz (f64x2.mul (local.get $half) (local.get $z)))
      (local.set $v (f64x2.sub (local.get $one) (local.get $hz)))
      (local.set $cosT (f64x2.add (local.get $v)
        (f64x2.add
          (f64x2.sub (f64x2.sub (local.get $one) (local.get $v)) (local.get $hz))
          (f64x2.mul (local.get $z) (local.get $r)))))
      ;; cos 2πu is ±cos t in octants 0, 3, 4, 7 (else ±sin t), negative in 2 … 5; sin 2πu the
      ;; other one, negative in 4 … 7.
      (local.set $useCos (i64x2.extend_low_i32x4_s
        (i32x4.eq
          (v128.and (i32x4.add (local.get $octant) (v128.const i32x4 1 1 1 1))
            (v128.const i32x4 2 2 2 2))
          (v128.const i32x4 0 0 0 0))))
      (local.set $cos (v128.xor
        (v128.bitselect (local.get $cosT) (local.get $sinT) (local.get $useCos))
        (v128.and (local.get $sign)
          (i64x2.extend_low_i32x4_s
            (i32x4.ne
              (v128.and (i32x4.add (local.get $octant) (v128.const i32x4 2 2 2 2))
                (v128.const i32x4 4 4 4 4))
              (v128.const i32x4 0 0 0 0))))))
      (local.set $sin (v128.xor
        (v128.bitselect (local.get $sinT) (local.get $cosT) (local.get $useCos))
        (v128.and (local.get $sign)
          (i64x2.extend_low_i32x4_s
            (i32x4.ne (v128.and (local.get $octant) (v128.const i32x4 4 4 4 4))
              (v128.const i32x4 0 0 0 0))))))
      (local.set $cos (f64x2.mul (local.get $radius) (local.get $cos)))
      (local.set $sin (f64x2.mul (local.get $radius) (local.get $sin)))
      ;; Lane 0's pair to its block, lane 1's to the next block.
      (v128.store offset=0 align=8 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $cos) (local.get $sin)))
      (v128.store offset=32 align=8 (local.get $dst)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
          (local.get $cos) (local.get $sin)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $passes (i32.lt_u (local.get $i) (i32.const 4)))))

  ;; The Gaussians ξ of SPEC §3 for counter (a, k, stream, j), j < ⌈d/4⌉: blocks of four
  ;; Philox blocks through $words (64 bytes), coordinate c to $out + 8 c, for c < d rounded
  ;; up to a multiple of 16 (the values past d are computed and not used).
  (func $gaussians (export "gaussians") (param $a i32) (param $k i32) (param $stream i32) (param $d i32)
      (param $key0 i32) (param $key1 i32) (param $words i32) (param $out i32)
    (local $base i32)
    (block $done (loop $blocks
      (br_if $done (i32.ge_s (local.get $base) (local.get $d)))
      (call $philox4 (local.get $a) (local.get $k) (local.get $stream)
        (i32.shr_u (local.get $base) (i32.const 2)) (local.get $key0) (local.get $key1)
        (local.get $words))
      (call $boxMuller (local.get $words) (i32.add (local.get $out) (i32.shl (local.get $base) (i32.const 3))))
      (local.set $base (i32.add (local.get $base) (i32.const 16)))
      (br $blocks))))

  ;; dst[i] = src[i], float32 to double (exact), for i < count.
  (func (export "widen") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (block $pairsDone (loop $pairs
      (br_if $pairsDone (i32.gt_u (i32.add (local.get $src) (i32.const 8)) (local.get $end)))
      (v128.store align=8 (local.get $dst)
        (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $pairs)))
    (if (i32.lt_u (local.get $src) (local.get $end))
      (then (f64.store (local.get $dst) (f64.promote_f32 (f32.load (local.get $src)))))))

  ;; The move of SPEC §2 for particles a0 … a0+count−1 of step k, the bits of the plain loop:
  ;; particle r in double at $x + 8 d r, Σ_b w_b ∇_α at $grads + $gradBytes r and Σ_b w_b φ
  ;; at $gcs + 8 r (both taken as 0 without $data), ξ from $gaussians of (a0 + r, k, $stream)
  ;; through $words and $xi. Each coordinate becomes
  ;;   float32(x + τ (g/B − confinement x) + noiseScale ξ),
  ;; stored at $xf + 4 (d r + j) and, back in double, over x.
  (func (export "move") (param $count i32) (param $a0 i32) (param $k i32) (param $stream i32)
      (param $key0 i32) (param $key1 i32) (param $d i32) (param $p i32) (param $x i32)
      (param $xf i32) (param $grads i32) (param $gradBytes i32) (param $gcs i32)
      (param $data i32) (param $invBatch f64) (param $confinement f64) (param $tau f64)
      (param $noiseScale f64) (param $words i32) (param $xi i32)
    (local $r i32) (local $j i32) (local $xj f64) (local $g f64) (local $moved f32)
    (block $done (loop $particles
      (br_if $done (i32.ge_s (local.get $r) (local.get $count)))
      (call $gaussians (i32.add (local.get $a0) (local.get $r)) (local.get $k)
        (local.get $stream) (local.get $d) (local.get $key0) (local.get $key1)
        (local.get $words) (local.get $xi))
      (local.set $j (i32.const 0))
      (block $coordsDone (loop $coords
        (br_if $coordsDone (i32.ge_s (local.get $j) (local.get $d)))
        (local.set $xj (f64.load (local.get $x)))
        (local.set $g
          (if (result f64) (i32.eqz (local.get $data))
            (then (f64.const 0))
            (else (if (result f64) (i32.lt_s (local.get $j) (local.get $p))
              (then (f64.load (i32.add (local.get $grads) (i32.shl (local.get $j) (i32.const 3)))))
              (else (f64.load (local.get $gcs)))))))
        (local.set $moved (f32.demote_f64
          (f64.add
            (f64.add (local.get $xj)
              (f64.mul (local.get $tau)
                (f64.sub (f64.mul (local.get $g) (local.get $invBatch))
                  (f64.mul (local.get $confinement) (local.get $xj)))))
            (f64.mul (local.get $noiseScale)
              (f64.load (i32.add (local.get $xi) (i32.shl (local.get $j) (i32.const 3))))))))
        (f32.store (local.get $xf) (local.get $moved))
        (f64.store (local.get $x) (f64.promote_f32 (local.get $moved)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $xf (i32.add (local.get $xf) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $coords)))
      (local.set $grads (i32.add (local.get $grads) (local.get $gradBytes)))
      (local.set $gcs (i32.add (local.get $gcs) (i32.const 8)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $particles))))
)
