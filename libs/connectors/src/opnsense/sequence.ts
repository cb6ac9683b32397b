/**
 * OPNsense orders automation rules of one priority class by `(sequence, uuid)`; there is no move API before 25.1.5
 * and `moveRuleBefore` renumbers other rules, so the connector only ever rewrites the `sequence` of its OWN rules.
 * The managed block must sit strictly below (top) or above (bottom) every sequence people's rules on that interface
 * use: an equal sequence would fall back to the uuid tie-break, which nobody controls.
 */

/** The smallest common range: 24.x..25.1.4 accept 1..99999 (25.1.5+ accepts up to 999999). */
export const SEQUENCE_MIN = 1;
export const DEFAULT_MAX_SEQUENCE = 99_999;
/** Gaps leave room for later inserts without renumbering. */
export const SEQUENCE_STEP = 100;

export interface SequenceBounds {
  /** Exclusive lower bound. */
  lower: number;
  /** Exclusive upper bound. */
  upper: number;
}

/** Where the managed block may live, given the sequences of the other rules of the interface. */
export function blockBounds(
  unmanaged: number[],
  position: 'top' | 'bottom',
  maxSequence = DEFAULT_MAX_SEQUENCE,
): SequenceBounds {
  if (position === 'top') {
    return { lower: SEQUENCE_MIN - 1, upper: Math.min(maxSequence + 1, ...unmanaged) };
  }
  return { lower: Math.max(SEQUENCE_MIN - 1, ...unmanaged), upper: maxSequence + 1 };
}

/**
 * New sequences for the managed rules of one interface so that they are strictly increasing in `order` and inside
 * `bounds`, rewriting as few rules as possible: the longest run that is already in order stays, the others are
 * placed in the gaps (steps of up to 100); only when a gap is too small is the whole block renumbered.
 * Returns only the changed names, or null when the block cannot fit (no room below/above people's rules).
 */
export function assignSequences(
  order: string[],
  current: ReadonlyMap<string, number | undefined>,
  bounds: SequenceBounds,
): Map<string, number> | null {
  const { lower, upper } = bounds;
  const fits = (s: number | undefined): s is number =>
    s !== undefined && Number.isInteger(s) && s > lower && s < upper;
  const keep = longestIncreasing(order.map((n) => current.get(n)).map((s) => (fits(s) ? s : undefined)));
  const result = new Map<string, number>();
  let ok = true;
  let i = 0;
  while (i < order.length && ok) {
    if (keep.has(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j < order.length && !keep.has(j)) j++;
    const left = i === 0 ? lower : (current.get(order[i - 1]) ?? lower);
    const right = j === order.length ? upper : (current.get(order[j]) ?? upper);
    const step = Math.min(SEQUENCE_STEP, Math.floor((right - left) / (j - i + 1)));
    if (step < 1) ok = false;
    else for (let k = i; k < j; k++) result.set(order[k], left + step * (k - i + 1));
    i = j;
  }
  if (!ok) {
    result.clear();
    const step = Math.min(SEQUENCE_STEP, Math.floor((upper - lower) / (order.length + 1)));
    if (step < 1) return null;
    order.forEach((name, k) => result.set(name, lower + step * (k + 1)));
  }
  for (const [name, seq] of [...result]) if (current.get(name) === seq) result.delete(name);
  return result;
}

/** Indexes of a longest strictly increasing subsequence (undefined entries never take part). */
function longestIncreasing(values: Array<number | undefined>): Set<number> {
  const n = values.length;
  const len = new Array<number>(n).fill(0);
  const prev = new Array<number>(n).fill(-1);
  let best = -1;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined) continue;
    len[i] = 1;
    for (let j = 0; j < i; j++) {
      const w = values[j];
      if (w !== undefined && w < v && len[j] + 1 > len[i]) {
        len[i] = len[j] + 1;
        prev[i] = j;
      }
    }
    if (best === -1 || len[i] > len[best]) best = i;
  }
  const out = new Set<number>();
  for (let k = best; k !== -1; k = prev[k]) out.add(k);
  return out;
}
