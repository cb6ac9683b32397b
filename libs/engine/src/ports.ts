import type { PortRange } from './model';

/** `null` when the range is a valid inclusive TCP/UDP port range (1-65535, from ≤ to), else why not. */
export function describeInvalidPortRange(range: PortRange): string | null {
  const { from, to } = range;
  if (!Number.isInteger(from) || !Number.isInteger(to)) {
    return `port range ${String(from)}-${String(to)} must use whole numbers`;
  }
  if (from < 1 || to > 65535) {
    return `port range ${from}-${to} is outside 1-65535`;
  }
  if (from > to) {
    return `port range ${from}-${to} is reversed`;
  }
  return null;
}

/** Sorted ranges with overlapping and adjacent ranges merged (`80,81-90,85` → `80-90`). */
export function normalizePorts(ranges: readonly PortRange[]): PortRange[] {
  const sorted = ranges
    .map((r) => ({ from: r.from, to: r.to }))
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const out: PortRange[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range.from <= last.to + 1) {
      last.to = Math.max(last.to, range.to);
    } else {
      out.push(range);
    }
  }
  return out;
}

/** `1514-1516,5044` (ranges as given; normalise first for a canonical text). */
export function formatPorts(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

/** Parses `1514-1516,5044` (whitespace around items allowed); throws on invalid input. */
export function parsePorts(text: string): PortRange[] {
  const ranges = text.split(',').map((item) => {
    const match = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(item);
    if (!match) {
      throw new Error(`"${item.trim()}" is not a port or port range`);
    }
    const range = { from: Number(match[1]), to: Number(match[2] ?? match[1]) };
    const invalid = describeInvalidPortRange(range);
    if (invalid) {
      throw new Error(invalid);
    }
    return range;
  });
  return normalizePorts(ranges);
}

/** True when some port of `a` is in `b`. */
export function portsOverlap(a: readonly PortRange[], b: readonly PortRange[]): boolean {
  return a.some((x) => b.some((y) => x.from <= y.to && y.from <= x.to));
}

/** The ports of `a` that are also in `b`, normalised. */
export function intersectPorts(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ from, to });
    }
  }
  return normalizePorts(out);
}

/** The ports of `a` that are not in `b`, normalised. */
export function subtractPorts(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  let remaining = normalizePorts(a);
  for (const y of normalizePorts(b)) {
    remaining = remaining.flatMap((x) => {
      if (y.to < x.from || y.from > x.to) return [x];
      const parts: PortRange[] = [];
      if (x.from < y.from) parts.push({ from: x.from, to: y.from - 1 });
      if (x.to > y.to) parts.push({ from: y.to + 1, to: x.to });
      return parts;
    });
  }
  return remaining;
}
