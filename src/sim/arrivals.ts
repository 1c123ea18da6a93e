/**
 * When buyers arrive (open model: the schedule is fixed up front, whatever the server answers), and
 * when the sale opens, in milliseconds after the run begins.
 *
 * - `all`: the whole crowd at once at 0; the sale opens `startAfterSeconds` later.
 * - `ramp`: arrivals evenly spread over `rampSeconds` from 0; the sale opens at `startAfterSeconds`.
 * - `prestart`: a share of the crowd (`prestartShare`) spread over the `startAfterSeconds` before the
 *   start (they wait in the pre-queue), the rest spread over `rampSeconds` after it.
 */
export const ARRIVALS = ['all', 'ramp', 'prestart'] as const;
export type Arrival = (typeof ARRIVALS)[number];

export interface ArrivalPlan {
  arrival: Arrival;
  rampSeconds: number;
  startAfterSeconds: number;
  prestartShare: number;
}

export interface ArrivalSchedule {
  /** Arrival offset of buyer i (ms), non-decreasing in i. */
  offsets: Float64Array;
  /** When the simulator opens the sale (ms). */
  startAtMs: number;
  /** Buyers 0..prestartCount-1 arrive before the start. */
  prestartCount: number;
}

/** `count` instants evenly spread over [from, from + spanMs): the k-th at from + k·span/count. */
function spread(out: Float64Array, first: number, count: number, from: number, spanMs: number): void {
  for (let k = 0; k < count; k++) out[first + k] = from + (count === 0 ? 0 : (k * spanMs) / count);
}

export function arrivalSchedule(buyers: number, plan: ArrivalPlan): ArrivalSchedule {
  const offsets = new Float64Array(buyers);
  const startAtMs = Math.max(0, plan.startAfterSeconds * 1000);
  const rampMs = Math.max(0, plan.rampSeconds * 1000);
  switch (plan.arrival) {
    case 'all':
      return { offsets, startAtMs, prestartCount: startAtMs > 0 ? buyers : 0 };
    case 'ramp': {
      spread(offsets, 0, buyers, 0, rampMs);
      let prestartCount = 0;
      while (prestartCount < buyers && (offsets[prestartCount] as number) < startAtMs) prestartCount++;
      return { offsets, startAtMs, prestartCount };
    }
    case 'prestart': {
      const share = Math.min(1, Math.max(0, plan.prestartShare));
      const before = startAtMs > 0 ? Math.round(buyers * share) : 0;
      spread(offsets, 0, before, 0, startAtMs);
      spread(offsets, before, buyers - before, startAtMs, rampMs);
      return { offsets, startAtMs, prestartCount: before };
    }
  }
}

/** Default lead before the start: 1 s for `all` and `ramp`; the ramp's length for `prestart`. */
export function defaultStartAfter(arrival: Arrival, rampSeconds: number): number {
  return arrival === 'prestart' ? rampSeconds : 1;
}
