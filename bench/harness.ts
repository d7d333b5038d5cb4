/** Small helpers shared by the benchmarks: timing, percentiles, and the result shape. */

export interface BenchResult {
  /** Figures for `npm run bench -- --json`, keyed as the README documents them. */
  figures: Record<string, number>;
  /** Human-readable rows for the table: [what, value, target]. */
  rows: [string, string, string][];
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchResult>;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: number[]) => percentile(values, 50);

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
