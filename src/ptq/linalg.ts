// Dense linear algebra for GPTQ on symmetric n×n matrices stored row-major in Float64Arrays.
//
// GPTQ needs the upper-triangular Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU): row i of U holds,
// scaled, the inverse-Hessian entries of the features not yet quantized when feature i is.
// The reference implementation gets it as cholesky(H) → inverse → cholesky(upper). We reach
// the same factor without forming H⁻¹: factor H = R Rᵀ with R upper triangular (a Cholesky
// factorization run from the last index backwards), then H⁻¹ = R⁻ᵀ R⁻¹, so U = R⁻¹. U is upper
// triangular with a positive diagonal, and such a factor is unique, so it is the same U — with
// one factorization and one triangular inverse instead of two of each, and no rounding from an
// explicit inverse.

/**
 * Upper-triangular R with A = R Rᵀ, or null when A is not numerically positive definite (a
 * pivot that is not positive, or lost in the rounding of the largest diagonal entry).
 */
export function reverseCholesky(a: Float64Array, n: number): Float64Array | null {
  const r = new Float64Array(n * n);
  let maxDiagonal = 0;
  for (let i = 0; i < n; i++) maxDiagonal = Math.max(maxDiagonal, Math.abs(a[i * n + i]));
  const floor = n * Number.EPSILON * maxDiagonal;
  for (let j = n - 1; j >= 0; j--) {
    // Entries k > j of rows j and i are final, and each row is contiguous, so both sums below
    // run along memory.
    let pivot = a[j * n + j];
    for (let k = j + 1; k < n; k++) pivot -= r[j * n + k] * r[j * n + k];
    if (!(pivot > floor) || !Number.isFinite(pivot)) return null;
    const rjj = Math.sqrt(pivot);
    r[j * n + j] = rjj;
    for (let i = 0; i < j; i++) {
      let s = a[i * n + j];
      for (let k = j + 1; k < n; k++) s -= r[i * n + k] * r[j * n + k];
      r[i * n + j] = s / rjj;
    }
  }
  return r;
}

/** Inverse of an upper-triangular matrix with a non-zero diagonal (it is upper triangular too). */
export function invertUpper(r: Float64Array, n: number): Float64Array {
  const u = new Float64Array(n * n);
  const row = new Float64Array(n);
  // Row i of U from R U = I: U_ij = -(Σ_{k=i+1..j} R_ik U_kj) / R_ii, rows below i already known.
  for (let i = n - 1; i >= 0; i--) {
    row.fill(0);
    for (let k = i + 1; k < n; k++) {
      const rik = r[i * n + k];
      if (rik === 0) continue;
      for (let j = k; j < n; j++) row[j] += rik * u[k * n + j];
    }
    const rii = r[i * n + i];
    u[i * n + i] = 1 / rii;
    for (let j = i + 1; j < n; j++) u[i * n + j] = -row[j] / rii;
  }
  return u;
}

/**
 * Upper-triangular U with A⁻¹ = UᵀU (the upper Cholesky factor of the inverse), or null when A
 * is not numerically positive definite.
 */
export function inverseCholeskyUpper(a: Float64Array, n: number): Float64Array | null {
  const r = reverseCholesky(a, n);
  return r && invertUpper(r, n);
}
