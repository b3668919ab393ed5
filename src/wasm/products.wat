;; The hot loops of the CPU kernel (src/cpu/kernel.ts): the dot products α·z_b of the forward
;; pass and the sums Σ_b v_b z_b of the drift, then the drift's weights, the forward sums, tanh,
;; the noise (Philox, Box–Muller) and the move. Compiled by `npm run wasm` into
;; products.wasm.ts; src/cpu/products.ts describes each function.
;;
;; SIMD (f64x2) without changing a bit: a lane never holds part of another lane's sum. The dot
;; products put two rows of the data side by side (from the data's columns), the drift sums
;; two coordinates j, j+1; each lane adds its terms in the order of the plain loop, with a
;; separate multiply and add (IEEE double, as in JavaScript), so the results are those of that
;; loop. Eight accumulators at a time keep the adder busy while each waits on its previous add.
;;
;; Addresses are bytes; rows of z are $rowBytes apart; vectors are float64.
(module
  (import "kernel" "memory" (memory 1))

  ;; u[b] = α·z_b and v[b] = β·z_b for b < count; α at $x0, β at $x1, $p terms each, from the
  ;; columns of z: z_b[j] at $cols + $colBytes j + 8 b. A lane holds one row of one particle,
  ;; a vector two rows (b, b+1) of it, so a column's load serves both particles. Eight rows
  ;; at a time, then two, the last of an odd count beside a lane that is computed and dropped.
  ;; One particle: the same x and output for both.
  (func (export "dotPair") (param $x0 i32) (param $x1 i32) (param $cols i32) (param $colBytes i32)
      (param $count i32) (param $u i32) (param $v i32) (param $p i32)
    (local $b i32) (local $j i32) (local $col i32) (local $pBytes i32)
    (local $a v128) (local $c v128) (local $z v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $pBytes (i32.shl (local.get $p) (i32.const 3)))
    (block $eightsDone (loop $eights
      (br_if $eightsDone (i32.gt_s (i32.add (local.get $b) (i32.const 8)) (local.get $count)))
      (local.set $s0 (v128.const i64x2 0 0))
      (local.set $t0 (v128.const i64x2 0 0))
      (local.set $s1 (v128.const i64x2 0 0))
      (local.set $t1 (v128.const i64x2 0 0))
      (local.set $s2 (v128.const i64x2 0 0))
      (local.set $t2 (v128.const i64x2 0 0))
      (local.set $s3 (v128.const i64x2 0 0))
      (local.set $t3 (v128.const i64x2 0 0))
      (local.set $col (i32.add (local.get $cols) (i32.shl (local.get $b) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $termsDone (loop $terms
        (br_if $termsDone (i32.ge_s (local.get $j) (local.get $pBytes)))
        (local.set $a (v128.load64_splat (i32.add (local.get $x0) (local.get $j))))
        (local.set $c (v128.load64_splat (i32.add (local.get $x1) (local.get $j))))
        (local.set $z (v128.load offset=0 align=8 (local.get $col)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $a) (local.get $z))))
        (local.set $t0 (f64x2.add (local.get $t0) (f64x2.mul (local.get $c) (local.get $z))))
        (local.set $z (v128.load offset=16 align=8 (local.get $col)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $a) (local.get $z))))
        (local.set $t1 (f64x2.add (local.get $t1) (f64x2.mul (local.get $c) (local.get $z))))
        (local.set $z (v128.load offset=32 align=8 (local.get $col)))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $a) (local.get $z))))
        (local.set $t2 (f64x2.add (local.get $t2) (f64x2.mul (local.get $c) (local.get $z))))
        (local.set $z (v128.load offset=48 align=8 (local.get $col)))
        (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $a) (local.get $z))))
        (local.set $t3 (f64x2.add (local.get $t3) (f64x2.mul (local.get $c) (local.get $z))))
        (local.set $col (i32.add (local.get $col) (local.get $colBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $terms)))
      (v128.store offset=0 align=8 (local.get $u) (local.get $s0))
      (v128.store offset=16 align=8 (local.get $u) (local.get $s1))
      (v128.store offset=32 align=8 (local.get $u) (local.get $s2))
      (v128.store offset=48 align=8 (local.get $u) (local.get $s3))
      (v128.store offset=0 align=8 (local.get $v) (local.get $t0))
      (v128.store offset=16 align=8 (local.get $v) (local.get $t1))
      (v128.store offset=32 align=8 (local.get $v) (local.get $t2))
      (v128.store offset=48 align=8 (local.get $v) (local.get $t3))
      (local.set $u (i32.add (local.get $u) (i32.const 64)))
      (local.set $v (i32.add (local.get $v) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (br $eights)))
    (block $twosDone (loop $twos
      (br_if $twosDone (i32.ge_s (local.get $b) (local.get $count)))
      (local.set $s0 (v128.const i64x2 0 0))
      (local.set $t0 (v128.const i64x2 0 0))
      (local.set $col (i32.add (local.get $cols) (i32.shl (local.get $b) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $termsDone (loop $terms
        (br_if $termsDone (i32.ge_s (local.get $j) (local.get $pBytes)))
        (local.set $z (v128.load align=8 (local.get $col)))
        (local.set $s0 (f64x2.add (local.get $s0)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $x0) (local.get $j))) (local.get $z))))
        (local.set $t0 (f64x2.add (local.get $t0)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $x1) (local.get $j))) (local.get $z))))
        (local.set $col (i32.add (local.get $col) (local.get $colBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $terms)))
      (if (i32.le_s (i32.add (local.get $b) (i32.const 2)) (local.get $count))
        (then
          (v128.store align=8 (local.get $u) (local.get $s0))
          (v128.store align=8 (local.get $v) (local.get $t0)))
        (else
          (v128.store64_lane 0 (local.get $u) (local.get $s0))
          (v128.store64_lane 0 (local.get $v) (local.get $t0))))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 2)))
      (br $twos))))

  ;; g[j] += Σ_b v[b] z_b[j] and h[j] += Σ_b w[b] z_b[j] for j < rowBytes/8 (a multiple of 4),
  ;; b < count, each sum going on from the stored value in order b = 0 … count−1. Eight
  ;; coordinates at a time (four lane pairs per vector), then four.
  (func (export "transposedPair") (param $v i32) (param $w i32) (param $z i32)
      (param $rowBytes i32) (param $count i32) (param $g i32) (param $h i32)
    (local $j i32) (local $end8 i32) (local $b i32) (local $row i32)
    (local $vb v128) (local $wb v128) (local $z0 v128) (local $z1 v128) (local $z2 v128)
    (local $z3 v128)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local.set $end8 (i32.and (local.get $rowBytes) (i32.const -64)))
    (block $columnsDone (loop $columns
      (br_if $columnsDone (i32.ge_s (local.get $j) (local.get $end8)))
      (local.set $g0 (v128.load offset=0 align=8 (local.get $g)))
      (local.set $g1 (v128.load offset=16 align=8 (local.get $g)))
      (local.set $g2 (v128.load offset=32 align=8 (local.get $g)))
      (local.set $g3 (v128.load offset=48 align=8 (local.get $g)))
      (local.set $h0 (v128.load offset=0 align=8 (local.get $h)))
      (local.set $h1 (v128.load offset=16 align=8 (local.get $h)))
      (local.set $h2 (v128.load offset=32 align=8 (local.get $h)))
      (local.set $h3 (v128.load offset=48 align=8 (local.get $h)))
      (local.set $row (i32.add (local.get $z) (local.get $j)))
      (local.set $b (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $b) (local.get $count)))
        (local.set $vb (v128.load64_splat
          (i32.add (local.get $v) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $wb (v128.load64_splat
          (i32.add (local.get $w) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $z0 (v128.load offset=0 align=8 (local.get $row)))
        (local.set $z1 (v128.load offset=16 align=8 (local.get $row)))
        (local.set $z2 (v128.load offset=32 align=8 (local.get $row)))
        (local.set $z3 (v128.load offset=48 align=8 (local.get $row)))
        (local.set $g0 (f64x2.add (local.get $g0) (f64x2.mul (local.get $vb) (local.get $z0))))
        (local.set $g1 (f64x2.add (local.get $g1) (f64x2.mul (local.get $vb) (local.get $z1))))
        (local.set $g2 (f64x2.add (local.get $g2) (f64x2.mul (local.get $vb) (local.get $z2))))
        (local.set $g3 (f64x2.add (local.get $g3) (f64x2.mul (local.get $vb) (local.get $z3))))
        (local.set $h0 (f64x2.add (local.get $h0) (f64x2.mul (local.get $wb) (local.get $z0))))
        (local.set $h1 (f64x2.add (local.get $h1) (f64x2.mul (local.get $wb) (local.get $z1))))
        (local.set $h2 (f64x2.add (local.get $h2) (f64x2.mul (local.get $wb) (local.get $z2))))
        (local.set $h3 (f64x2.add (local.get $h3) (f64x2.mul (local.get $wb) (local.get $z3))))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $rows)))
      (v128.store offset=0 align=8 (local.get $g) (local.get $g0))
      (v128.store offset=16 align=8 (local.get $g) (local.get $g1))
      (v128.store offset=32 align=8 (local.get $g) (local.get $g2))
      (v128.store offset=48 align=8 (local.get $g) (local.get $g3))
      (v128.store offset=0 align=8 (local.get $h) (local.get $h0))
      (v128.store offset=16 align=8 (local.get $h) (local.get $h1))
      (v128.store offset=32 align=8 (local.get $h) (local.get $h2))
      (v128.store offset=48 align=8 (local.get $h) (local.get $h3))
      (local.set $g (i32.add (local.get $g) (i32.const 64)))
      (local.set $h (i32.add (local.get $h) (i32.const 64)))
      (local.set $j (i32.add (local.get $j) (i32.const 64)))
      (br $columns)))
    ;; Four coordinates left.
    (if (i32.lt_s (local.get $j) (local.get $rowBytes))
      (then
        (local.set $g0 (v128.load offset=0 align=8 (local.get $g)))
        (local.set $g1 (v128.load offset=16 align=8 (local.get $g)))
        (local.set $h0 (v128.load offset=0 align=8 (local.get $h)))
        (local.set $h1 (v128.load offset=16 align=8 (local.get $h)))
        (local.set $row (i32.add (local.get $z) (local.get $j)))
        (local.set $b (i32.const 0))
        (block $rowsDone (loop $rows
          (br_if $rowsDone (i32.ge_s (local.get $b) (local.get $count)))
          (local.set $vb (v128.load64_splat
            (i32.add (local.get $v) (i32.shl (local.get $b) (i32.const 3)))))
          (local.set $wb (v128.load64_splat
            (i32.add (local.get $w) (i32.shl (local.get $b) (i32.const 3)))))
          (local.set $z0 (v128.load offset=0 align=8 (local.get $row)))
          (local.set $z1 (v128.load offset=16 align=8 (local.get $row)))
          (local.set $g0 (f64x2.add (local.get $g0) (f64x2.mul (local.get $vb) (local.get $z0))))
          (local.set $g1 (f64x2.add (local.get $g1) (f64x2.mul (local.get $vb) (local.get $z1))))
          (local.set $h0 (f64x2.add (local.get $h0) (f64x2.mul (local.get $wb) (local.get $z0))))
          (local.set $h1 (f64x2.add (local.get $h1) (f64x2.mul (local.get $wb) (local.get $z1))))
          (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $rows)))
        (v128.store offset=0 align=8 (local.get $g) (local.get $g0))
        (v128.store offset=16 align=8 (local.get $g) (local.get $g1))
        (v128.store offset=0 align=8 (local.get $h) (local.get $h0))
        (v128.store offset=16 align=8 (local.get $h) (local.get $h1)))))

  ;; g[j] += Σ_b v[b] z_b[j], as transposedPair for one vector.
  (func (export "transposedOne") (param $v i32) (param $z i32) (param $rowBytes i32)
      (param $count i32) (param $g i32)
    (local $j i32) (local $end8 i32) (local $b i32) (local $row i32)
    (local $vb v128)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128)
    (local.set $end8 (i32.and (local.get $rowBytes) (i32.const -64)))
    (block $columnsDone (loop $columns
      (br_if $columnsDone (i32.ge_s (local.get $j) (local.get $end8)))
      (local.set $g0 (v128.load offset=0 align=8 (local.get $g)))
      (local.set $g1 (v128.load offset=16 align=8 (local.get $g)))
      (local.set $g2 (v128.load offset=32 align=8 (local.get $g)))
      (local.set $g3 (v128.load offset=48 align=8 (local.get $g)))
      (local.set $row (i32.add (local.get $z) (local.get $j)))
      (local.set $b (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $b) (local.get $count)))
        (local.set $vb (v128.load64_splat
          (i32.add (local.get $v) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $g0 (f64x2.add (local.get $g0)
          (f64x2.mul (local.get $vb) (v128.load offset=0 align=8 (local.get $row)))))
        (local.set $g1 (f64x2.add (local.get $g1)
          (f64x2.mul (local.get $vb) (v128.load offset=16 align=8 (local.get $row)))))
        (local.set $g2 (f64x2.add (local.get $g2)
          (f64x2.mul (local.get $vb) (v128.load offset=32 align=8 (local.get $row)))))
        (local.set $g3 (f64x2.add (local.get $g3)
          (f64x2.mul (local.get $vb) (v128.load offset=48 align=8 (local.get $row)))))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $rows)))
      (v128.store offset=0 align=8 (local.get $g) (local.get $g0))
      (v128.store offset=16 align=8 (local.get $g) (local.get $g1))
      (v128.store offset=32 align=8 (local.get $g) (local.get $g2))
      (v128.store offset=48 align=8 (local.get $g) (local.get $g3))
      (local.set $g (i32.add (local.get $g) (i32.const 64)))
      (local.set $j (i32.add (local.get $j) (i32.const 64)))
      (br $columns)))
    (if (i32.lt_s (local.get $j) (local.get $rowBytes))
      (then
        (local.set $g0 (v128.load offset=0 align=8 (local.get $g)))
        (local.set $g1 (v128.load offset=16 align=8 (local.get $g)))
        (local.set $row (i32.add (local.get $z) (local.get $j)))
        (local.set $b (i32.const 0))
        (block $rowsDone (loop $rows
          (br_if $rowsDone (i32.ge_s (local.get $b) (local.get $count)))
          (local.set $vb (v128.load64_splat
            (i32.add (local.get $v) (i32.shl (local.get $b) (i32.const 3)))))
          (local.set $g0 (f64x2.add (local.get $g0)
            (f64x2.mul (local.get $vb) (v128.load offset=0 align=8 (local.get $row)))))
          (local.set $g1 (f64x2.add (local.get $g1)
            (f64x2.mul (local.get $vb) (v128.load offset=16 align=8 (local.get $row)))))
          (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $rows)))
        (v128.store offset=0 align=8 (local.get $g) (local.get $g0))
        (v128.store offset=16 align=8 (local.get $g) (local.get $g1)))))

  ;; out[b] ← out[b] + c u[b] for b < count, two b per f64x2: one particle's term of the
  ;; forward sums Σ_i c_i φ(α_i·z_b), added in particle order by calling it particle by particle.
  (func (export "addScaled") (param $out i32) (param $u i32) (param $c f64) (param $count i32)
    (local $end i32) (local $cc v128)
    (local.set $cc (f64x2.splat (local.get $c)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 3))))
    (block $pairsDone (loop $pairs
      (br_if $pairsDone (i32.gt_u (i32.add (local.get $out) (i32.const 16)) (local.get $end)))
      (v128.store align=8 (local.get $out)
        (f64x2.add (v128.load align=8 (local.get $out))
          (f64x2.mul (local.get $cc) (v128.load align=8 (local.get $u)))))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (br $pairs)))
    (if (i32.lt_u (local.get $out) (local.get $end))
      (then (f64.store (local.get $out)
        (f64.add (f64.load (local.get $out))
          (f64.mul (local.get $c) (f64.load (local.get $u))))))))

  ;; The drift's weights of two particles, one per lane, for b < count: with φ_b at $phi0 and
  ;; $phi1, w_b at $w, c at $c0 and $c1, gc += w_b φ_b in order (gc from and back to $gc0 and
  ;; $gc1) and u_b = w_b c φ'(φ_b) to $u0 and $u1 (which may be $phi0 and $phi1). φ' from φ
  ;; by $activation (activationCode): tanh 1 − φ², sigmoid φ (1 − φ), relu 1 where φ > 0
  ;; else 0. One particle: the same addresses and c in both lanes, which then agree.
  (func (export "weightsPair") (param $phi0 i32) (param $phi1 i32) (param $w i32)
      (param $count i32) (param $c0 f64) (param $c1 f64) (param $gc0 i32) (param $gc1 i32)
      (param $u0 i32) (param $u1 i32) (param $activation i32)
    (local $b i32) (local $phi v128) (local $wb v128) (local $c v128) (local $gc v128)
    (local $dphi v128) (local $one v128)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $c (f64x2.replace_lane 1 (f64x2.splat (local.get $c0)) (local.get $c1)))
    (local.set $gc (v128.load64_lane 1 (local.get $gc1) (v128.load64_zero (local.get $gc0))))
    (block $done (loop $rows
      (br_if $done (i32.ge_s (local.get $b) (local.get $count)))
      (local.set $phi (v128.load64_lane 1 (local.get $phi1) (v128.load64_zero (local.get $phi0))))
      (local.set $wb (v128.load64_splat (local.get $w)))
      (local.set $gc (f64x2.add (local.get $gc) (f64x2.mul (local.get $wb) (local.get $phi))))
      (local.set $dphi
        (if (result v128) (i32.eqz (local.get $activation))
          (then (f64x2.sub (local.get $one) (f64x2.mul (local.get $phi) (local.get $phi))))
          (else (if (result v128) (i32.eq (local.get $activation) (i32.const 1))
            (then (f64x2.mul (local.get $phi) (f64x2.sub (local.get $one) (local.get $phi))))
            (else (v128.and (local.get $one)
              (f64x2.gt (local.get $phi) (v128.const f64x2 0 0))))))))
      (local.set $dphi (f64x2.mul (f64x2.mul (local.get $wb) (local.get $c)) (local.get $dphi)))
      (v128.store64_lane 0 (local.get $u0) (local.get $dphi))
      (v128.store64_lane 1 (local.get $u1) (local.get $dphi))
      (local.set $phi0 (i32.add (local.get $phi0) (i32.const 8)))
      (local.set $phi1 (i32.add (local.get $phi1) (i32.const 8)))
      (local.set $u0 (i32.add (local.get $u0) (i32.const 8)))
      (local.set $u1 (i32.add (local.get $u1) (i32.const 8)))
      (local.set $w (i32.add (local.get $w) (i32.const 8)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows)))
    (v128.store64_lane 0 (local.get $gc0) (local.get $gc))
    (v128.store64_lane 1 (local.get $gc1) (local.get $gc)))

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
  ;;   float32(x + τ (g/B − rate x) + noiseScale ξ),
  ;; stored at $xf + 4 (d r + j) and, back in double, over x.
  (func (export "move") (param $count i32) (param $a0 i32) (param $k i32) (param $stream i32)
      (param $key0 i32) (param $key1 i32) (param $d i32) (param $p i32) (param $x i32)
      (param $xf i32) (param $grads i32) (param $gradBytes i32) (param $gcs i32)
      (param $data i32) (param $invB f64) (param $rate f64) (param $tau f64)
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
                (f64.sub (f64.mul (local.get $g) (local.get $invB))
                  (f64.mul (local.get $rate) (local.get $xj)))))
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
    ;; (about 1.5 times as fast). The pair loop below takes the up to three values left.
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
