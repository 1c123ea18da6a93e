/**
 * Fairness seen from outside: did buyers purchase in the order they joined? Spearman's rank
 * correlation between join rank and purchase rank over the buyers who purchased (1: exactly in join
 * order; near 0 for a shuffled pre-queue, by design), and a bounded sample of points to plot.
 */
export interface FairnessInput {
  /** Join rank (1-based order in which joins were answered), per purchaser. */
  joinRanks: ArrayLike<number>;
  /** Purchase rank (order in which checkouts were accepted), same length and order. */
  purchaseRanks: ArrayLike<number>;
}

/** 1-based ranks of `values` (ties get their average rank). */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k] as number] = rank;
    i = j + 1;
  }
  return out;
}

/** Spearman's rho (Pearson correlation of the ranks); null with fewer than 2 points or no spread. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  if (n !== b.length) throw new Error('spearman: samples differ in length');
  if (n < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (n + 1) / 2;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = (ra[i] as number) - mean;
    const db = (rb[i] as number) - mean;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  if (va === 0 || vb === 0) return null;
  return cov / Math.sqrt(va * vb);
}

export interface FairnessFigure {
  purchasers: number;
  spearman: number | null;
  /** Mean |join rank − purchase rank| among purchasers, as a share of their number (0 = perfect order). */
  meanDisplacement: number | null;
  /** [join rank, purchase rank] among purchasers (both re-ranked 1..n), at most maxPoints of them. */
  points: Array<[number, number]>;
}

export function fairness(input: FairnessInput, maxPoints = 1500): FairnessFigure {
  const n = input.joinRanks.length;
  const rho = spearman(input.joinRanks, input.purchaseRanks);
  const rj = ranks(input.joinRanks);
  const rp = ranks(input.purchaseRanks);
  let displacement = 0;
  for (let i = 0; i < n; i++) displacement += Math.abs((rj[i] as number) - (rp[i] as number));
  const step = Math.max(1, n / maxPoints);
  const points: Array<[number, number]> = [];
  for (let k = 0; Math.floor(k) < n && points.length < maxPoints; k += step) {
    const i = Math.floor(k);
    points.push([rj[i] as number, rp[i] as number]);
  }
  return {
    purchasers: n,
    spearman: rho === null ? null : Math.round(rho * 10_000) / 10_000,
    meanDisplacement: n === 0 ? null : Math.round((displacement / n / n) * 10_000) / 10_000,
    points,
  };
}
