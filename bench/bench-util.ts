import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What a bench section gets from the runner. */
/** The admin token every section authenticates with: the service creates it from ADMIN_TOKEN on an empty database. */
export const BENCH_ADMIN_TOKEN = 'uto_bench-admin-token-0123456789abcdef';

export interface BenchContext {
  /** Full garbage collection (a no-op when it cannot be enabled). */
  gc(): void;
  print(text: string): void;
}

/** A bench section: runs, prints its own table, returns false when a target is missed. */
export type BenchSection = (ctx: BenchContext) => boolean | Promise<boolean>;

/** Enables `gc()` without a command-line flag. */
export function loadGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A plain-text table with right-aligned columns. */
export function formatTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padStart(widths[i])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}
