;; The hot loops of the CPU kernel (src/cpu/kernel.ts) over the data: the dot products α·z_b
;; of the forward pass, the sums Σ_b v_b z_b of the drift, the drift's weights and the forward
;; sums (tanh is in tanh.wat, the noise and the move in langevin.wat; the three share the
;; kernel's memory). Compiled by `npm run wasm` into products.wasm.ts; src/cpu/products.ts
;; describes each function.
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
)
