;; tanh of the CPU kernel (src/cpu/kernel.ts) with the bits of src/contract/tanh.ts. Compiled
;; by `npm run wasm` into tanh.wasm.ts; src/cpu/products.ts describes it. Addresses are bytes
;; into the kernel's memory.
(module
  (import "kernel" "memory" (memory 1))

  ;; tanh in place: v[i] ← tanh v[i] for i < count, v at $at; the bits of tanh() in
  ;; src/contract/tanh.ts, two lanes at a time, each lane taking that function's steps in its
  ;; order (the constants below are its constants, in hexadecimal). Its tables 2^(j/32) and
  ;; 2^(j/32) − 1 are the 64 doubles at $table (STEP_POW, then STEP_POW_M1). Where the
  ;; function returns early (|x| < 2^-28, |x| ≥ 22, NaN), the lane takes that value instead.
  (func (export "tanh") (param $at i32) (param $count i32) (param $table i32)
    (local $end i32) (local $j0 i32) (local $j1 i32)
    (local $x v128) (local $a v128) (local $y v128) (local $m v128) (local $mf v128)
    (local $r v128) (local $r2 v128) (local $q v128) (local $scale v128) (local $t v128)
    (local $result v128)
    (local $xB v128) (local $aB v128) (local $yB v128) (local $mB v128) (local $mfB v128)
    (local $rB v128) (local $r2B v128) (local $qB v128) (local $scaleB v128) (local $tB v128)
    (local $resultB v128) (local $j0B i32) (local $j1B i32)
    ;; Its constants, set once: V8 would build a v128.const anew in each pass of the loop.
    (local $perLn2 v128) (local $ln2Hi v128) (local $ln2Lo v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128) (local $two v128)
    (local $one v128) (local $tanhOne v128) (local $tanhLinear v128) (local $bias v128)
    (local $sign v128) (local $magic v128)
    (local.set $perLn2 (v128.const f64x2 0x1.71547652b82fep5 0x1.71547652b82fep5))
    (local.set $ln2Hi (v128.const f64x2 0x1.62e42fee00000p-6 0x1.62e42fee00000p-6))
    (local.set $ln2Lo (v128.const f64x2 0x1.a39ef35793c76p-38 0x1.a39ef35793c76p-38))
    (local.set $c2 (v128.const f64x2 0x1p-1 0x1p-1))
    (local.set $c3 (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3))
    (local.set $c4 (v128.const f64x2 0x1.5555555555555p-5 0x1.5555555555555p-5))
    (local.set $c5 (v128.const f64x2 0x1.1111111111111p-7 0x1.1111111111111p-7))
    (local.set $c6 (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10))
    (local.set $c7 (v128.const f64x2 0x1.a01a01a01a01ap-13 0x1.a01a01a01a01ap-13))
    (local.set $two (v128.const f64x2 2 2))
    (local.set $one (v128.const f64x2 1 1))
    (local.set $tanhOne (v128.const f64x2 22 22))
    (local.set $tanhLinear (v128.const f64x2 0x1p-28 0x1p-28))
    (local.set $bias (v128.const i32x4 1023 1023 1023 1023))
    (local.set $magic (v128.const f64x2 0x1p52 0x1p52))
    (local.set $sign (v128.const i64x2 0x8000000000000000 0x8000000000000000))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 3))))
    ;; Four values at a time: two pairs, statement by statement (names ending in B are the
    ;; second pair's). Each pair is one long chain of dependent operations; interleaved, the
    ;; core overlaps the two chains, which it did not do across passes of the pair loop
    ;; (faster: bench/RESULTS.md). The pair loop below takes the up to three values left.
    (block $foursDone (loop $fours
      (br_if $foursDone (i32.gt_u (i32.add (local.get $at) (i32.const 32)) (local.get $end)))
      (local.set $x (v128.load offset=0 align=8 (local.get $at)))
      (local.set $xB (v128.load offset=16 align=8 (local.get $at)))
      (local.set $a (f64x2.abs (local.get $x)))
      (local.set $aB (f64x2.abs (local.get $xB)))
      (local.set $y (f64x2.mul (local.get $two) (local.get $a)))
      (local.set $yB (f64x2.mul (local.get $two) (local.get $aB)))
      (local.set $mf (f64x2.floor (f64x2.mul (local.get $y) (local.get $perLn2))))
      (local.set $mfB (f64x2.floor (f64x2.mul (local.get $yB) (local.get $perLn2))))
      (local.set $m (f64x2.add (local.get $mf) (local.get $magic)))
      (local.set $mB (f64x2.add (local.get $mfB) (local.get $magic)))
      (local.set $j0 (i32.shl (i32.and (i32x4.extract_lane 0 (local.get $m)) (i32.const 31))
        (i32.const 3)))
      (local.set $j0B (i32.shl (i32.and (i32x4.extract_lane 0 (local.get $mB)) (i32.const 31))
        (i32.const 3)))
      (local.set $j1 (i32.shl (i32.and (i32x4.extract_lane 2 (local.get $m)) (i32.const 31))
        (i32.const 3)))
      (local.set $j1B (i32.shl (i32.and (i32x4.extract_lane 2 (local.get $mB)) (i32.const 31))
        (i32.const 3)))
      (local.set $r (f64x2.sub
        (f64x2.sub (local.get $y)
          (f64x2.mul (local.get $mf) (local.get $ln2Hi)))
        (f64x2.mul (local.get $mf) (local.get $ln2Lo))))
      (local.set $rB (f64x2.sub
        (f64x2.sub (local.get $yB)
          (f64x2.mul (local.get $mfB) (local.get $ln2Hi)))
        (f64x2.mul (local.get $mfB) (local.get $ln2Lo))))
      (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
      (local.set $r2B (f64x2.mul (local.get $rB) (local.get $rB)))
      (local.set $q (f64x2.add (local.get $r) (f64x2.mul (local.get $r2)
        (f64x2.add
          (f64x2.add (local.get $c2)
            (f64x2.mul (local.get $r) (local.get $c3)))
          (f64x2.mul (local.get $r2)
            (f64x2.add
              (f64x2.add (local.get $c4)
                (f64x2.mul (local.get $r)
                  (local.get $c5)))
              (f64x2.mul (local.get $r2)
                (f64x2.add (local.get $c6)
                  (f64x2.mul (local.get $r)
                    (local.get $c7))))))))))
      (local.set $qB (f64x2.add (local.get $rB) (f64x2.mul (local.get $r2B)
        (f64x2.add
          (f64x2.add (local.get $c2)
            (f64x2.mul (local.get $rB) (local.get $c3)))
          (f64x2.mul (local.get $r2B)
            (f64x2.add
              (f64x2.add (local.get $c4)
                (f64x2.mul (local.get $rB)
                  (local.get $c5)))
              (f64x2.mul (local.get $r2B)
                (f64x2.add (local.get $c6)
                  (f64x2.mul (local.get $rB)
                    (local.get $c7))))))))))
      (local.set $scale (i64x2.shl
        (i32x4.shl
          (i32x4.add (i32x4.shr_u (local.get $m) (i32.const 5)) (local.get $bias))
          (i32.const 20))
        (i32.const 32)))
      (local.set $scaleB (i64x2.shl
        (i32x4.shl
          (i32x4.add (i32x4.shr_u (local.get $mB) (i32.const 5)) (local.get $bias))
          (i32.const 20))
        (i32.const 32)))
      (local.set $t (f64x2.add
        (f64x2.mul
          (f64x2.mul (local.get $scale)
            (v128.load64_lane 1 (i32.add (local.get $table) (local.get $j1))
              (v128.load64_zero (i32.add (local.get $table) (local.get $j0)))))
          (local.get $q))
        (f64x2.add
          (f64x2.mul (local.get $scale)
            (v128.load64_lane offset=256 1 (i32.add (local.get $table) (local.get $j1))
              (v128.load64_zero offset=256 (i32.add (local.get $table) (local.get $j0)))))
          (f64x2.sub (local.get $scale) (local.get $one)))))
      (local.set $tB (f64x2.add
        (f64x2.mul
          (f64x2.mul (local.get $scaleB)
            (v128.load64_lane 1 (i32.add (local.get $table) (local.get $j1B))
              (v128.load64_zero (i32.add (local.get $table) (local.get $j0B)))))
          (local.get $qB))
        (f64x2.add
          (f64x2.mul (local.get $scaleB)
            (v128.load64_lane offset=256 1 (i32.add (local.get $table) (local.get $j1B))
              (v128.load64_zero offset=256 (i32.add (local.get $table) (local.get $j0B)))))
          (f64x2.sub (local.get $scaleB) (local.get $one)))))
      (local.set $result (f64x2.div
        (f64x2.mul (local.get $x) (local.get $t))
        (f64x2.mul (local.get $a) (f64x2.add (local.get $two) (local.get $t)))))
      (local.set $resultB (f64x2.div
        (f64x2.mul (local.get $xB) (local.get $tB))
        (f64x2.mul (local.get $aB) (f64x2.add (local.get $two) (local.get $tB)))))
      (local.set $result (v128.bitselect
        (local.get $result)
        (v128.or (v128.and (local.get $x) (local.get $sign))
          (local.get $one))
        (f64x2.lt (local.get $a) (local.get $tanhOne))))
      (local.set $resultB (v128.bitselect
        (local.get $resultB)
        (v128.or (v128.and (local.get $xB) (local.get $sign))
          (local.get $one))
        (f64x2.lt (local.get $aB) (local.get $tanhOne))))
      (local.set $result (v128.bitselect
        (local.get $x)
        (local.get $result)
        (v128.or
          (f64x2.lt (local.get $a) (local.get $tanhLinear))
          (f64x2.ne (local.get $x) (local.get $x)))))
      (local.set $resultB (v128.bitselect
        (local.get $xB)
        (local.get $resultB)
        (v128.or
          (f64x2.lt (local.get $aB) (local.get $tanhLinear))
          (f64x2.ne (local.get $xB) (local.get $xB)))))
      (v128.store offset=0 align=8 (local.get $at) (local.get $result))
      (v128.store offset=16 align=8 (local.get $at) (local.get $resultB))
      (local.set $at (i32.add (local.get $at) (i32.const 32)))
      (br $fours)))
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      ;; The last of an odd count goes in both lanes.
      (local.set $x
        (if (result v128) (i32.le_u (i32.add (local.get $at) (i32.const 16)) (local.get $end))
          (then (v128.load align=8 (local.get $at)))
          (else (v128.load64_splat (local.get $at)))))
      (local.set $a (f64x2.abs (local.get $x)))
      (local.set $y (f64x2.mul (local.get $two) (local.get $a)))
      ;; m = ⌊y · 32 / ln 2⌋ (truncation, y ≥ 0); m + 2^52 holds m in its low 32 bits.
      (local.set $mf (f64x2.floor (f64x2.mul (local.get $y) (local.get $perLn2))))
      (local.set $m (f64x2.add (local.get $mf) (local.get $magic)))
      (local.set $j0 (i32.shl (i32.and (i32x4.extract_lane 0 (local.get $m)) (i32.const 31))
        (i32.const 3)))
      (local.set $j1 (i32.shl (i32.and (i32x4.extract_lane 2 (local.get $m)) (i32.const 31))
        (i32.const 3)))
      ;; r = y − m · LN2_32_HI − m · LN2_32_LO
      (local.set $r (f64x2.sub
        (f64x2.sub (local.get $y)
          (f64x2.mul (local.get $mf) (local.get $ln2Hi)))
        (f64x2.mul (local.get $mf) (local.get $ln2Lo))))
      (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
      ;; q = r + r2 (C2 + r C3 + r2 (C4 + r C5 + r2 (C6 + r C7)))
      (local.set $q (f64x2.add (local.get $r) (f64x2.mul (local.get $r2)
        (f64x2.add
          (f64x2.add (local.get $c2)
            (f64x2.mul (local.get $r) (local.get $c3)))
          (f64x2.mul (local.get $r2)
            (f64x2.add
              (f64x2.add (local.get $c4)
                (f64x2.mul (local.get $r)
                  (local.get $c5)))
              (f64x2.mul (local.get $r2)
                (f64x2.add (local.get $c6)
                  (f64x2.mul (local.get $r)
                    (local.get $c7))))))))))
      ;; scale = 2^(m >> 5), built from its exponent bits (exact, as the table POW2): the low
      ;; word of each lane becomes (m >> 5) + 1023 << 20, which the 64-bit shift moves up.
      (local.set $scale (i64x2.shl
        (i32x4.shl
          (i32x4.add (i32x4.shr_u (local.get $m) (i32.const 5)) (local.get $bias))
          (i32.const 20))
        (i32.const 32)))
      ;; t = scale 2^(j/32) q + (scale (2^(j/32) − 1) + (scale − 1))
      (local.set $t (f64x2.add
        (f64x2.mul
          (f64x2.mul (local.get $scale)
            (v128.load64_lane 1 (i32.add (local.get $table) (local.get $j1))
              (v128.load64_zero (i32.add (local.get $table) (local.get $j0)))))
          (local.get $q))
        (f64x2.add
          (f64x2.mul (local.get $scale)
            (v128.load64_lane offset=256 1 (i32.add (local.get $table) (local.get $j1))
              (v128.load64_zero offset=256 (i32.add (local.get $table) (local.get $j0)))))
          (f64x2.sub (local.get $scale) (local.get $one)))))
      ;; tanh x = x t / (|x| (2 + t))
      (local.set $result (f64x2.div
        (f64x2.mul (local.get $x) (local.get $t))
        (f64x2.mul (local.get $a) (f64x2.add (local.get $two) (local.get $t)))))
      ;; |x| ≥ 22: ±1 (the sign of x on 1).
      (local.set $result (v128.bitselect
        (local.get $result)
        (v128.or (v128.and (local.get $x) (local.get $sign))
          (local.get $one))
        (f64x2.lt (local.get $a) (local.get $tanhOne))))
      ;; |x| < 2^-28 (tanh x rounds to x) and NaN: x.
      (local.set $result (v128.bitselect
        (local.get $x)
        (local.get $result)
        (v128.or
          (f64x2.lt (local.get $a) (local.get $tanhLinear))
          (f64x2.ne (local.get $x) (local.get $x)))))
      (if (i32.le_u (i32.add (local.get $at) (i32.const 16)) (local.get $end))
        (then (v128.store align=8 (local.get $at) (local.get $result)))
        (else (v128.store64_lane 0 (local.get $at) (local.get $result))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $pairs))))
)
