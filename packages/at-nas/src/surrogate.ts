// Rong et al., "AT-NAS: Across-Task Neural Architecture Search via Meta Learning", 2021 (a performance
// predictor pre-screens the children of the evolutionary search); here ridge regression (Hoerl &
// Kennard, Technometrics 1970) on one-hot architecture encodings.
import type { Architecture, SearchSpace } from '@automl-ts/core';

/** One architecture per row: a one-hot block per categorical choice, the scaled gene otherwise. */
export function encodeArchitecture(space: SearchSpace, arch: Architecture): number[] {
  const genes = space.encode(arch);
  const out: number[] = [];
  space.choices.forEach((choice, i) => {
    const gene = genes[i] as number;
    if (choice.kind === 'categorical') {
      for (let v = 0; v < choice.values.length; v++) out.push(v === gene ? 1 : 0);
    } else {
      out.push(gene);
    }
  });
  return out;
}

/** A fitted ridge regression: predicts fitness from an architecture. */
export interface FitnessPredictor {
  predict(arch: Architecture): number;
}

/**
 * Fits fitness ≈ w·encode(arch) + b by ridge regression (penalty `lambda` on w, b free) on the
 * evaluated architectures so far.
 */
export function fitRidgePredictor(
  space: SearchSpace,
  samples: readonly { readonly architecture: Architecture; readonly fitness: number }[],
  lambda = 1,
): FitnessPredictor {
  const rows = samples.map((s) => encodeArchitecture(space, s.architecture));
  const d = rows[0]?.length ?? 0;
  const n = rows.length;
  const meanY = samples.reduce((sum, s) => sum + s.fitness, 0) / Math.max(1, n);
  const meanX = Array.from(
    { length: d },
    (_, j) => rows.reduce((sum, r) => sum + (r[j] as number), 0) / Math.max(1, n),
  );
  // (XcᵀXc + λI) w = Xcᵀ yc, solved by Gaussian elimination with partial pivoting (d is small).
  const a = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d + 1 }, (_, j) => {
      if (j === d) {
        return rows.reduce(
          (sum, r, k) =>
            sum + ((r[i] as number) - (meanX[i] as number)) * ((samples[k]?.fitness as number) - meanY),
          0,
        );
      }
      const gram = rows.reduce(
        (sum, r) =>
          sum + ((r[i] as number) - (meanX[i] as number)) * ((r[j] as number) - (meanX[j] as number)),
        0,
      );
      return gram + (i === j ? lambda : 0);
    }),
  );
  for (let col = 0; col < d; col++) {
    let pivot = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const factor = a[r]![col]! / p;
      for (let c = col; c <= d; c++) a[r]![c]! -= factor * a[col]![c]!;
    }
  }
  const w = a.map((row, i) => row[d]! / row[i]!);
  const b = meanY - w.reduce((sum, wi, j) => sum + wi * (meanX[j] as number), 0);
  return {
    predict: (arch) => encodeArchitecture(space, arch).reduce((sum, x, j) => sum + x * (w[j] as number), b),
  };
}
