/** The contract between bench/run.ts and the *.bench.ts modules. */

export interface BenchContext {
  /** Repetitions asked for (--runs, default 5); a benchmark may have its own count (apply-loop: --loop). */
  runs: number;
  /** Consecutive applies of apply-loop (--loop, default 10). */
  loop: number;
  /** Progress line to stderr. */
  log(message: string): void;
}

export interface Metric {
  /** e.g. "plan 100 pairs (wall)". */
  name: string;
  unit: 'ms' | 'count' | 'x';
  /** One value per run (NaN-free). */
  samples: number[];
  note?: string;
}

export interface Goal {
  goal: string;
  target: string;
  /** The figure compared with the target (a median of same-run values). */
  measured: string;
  met: boolean;
  /** When missed: by how much and the measured reason. */
  why?: string;
}

export interface BenchResult {
  metrics: Metric[];
  goals: Goal[];
  /** Facts worth reading next to the table (measured breakdowns, per-run tables). */
  notes: string[];
  /** Raw per-run records, kept in the JSON. */
  runs: unknown[];
  /** Set when the benchmark did not run (reason). */
  skipped?: string;
}

export interface Benchmark {
  /** Name used on the command line and in results, e.g. "plan-scale". */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function emptyResult(): BenchResult {
  return { metrics: [], goals: [], notes: [], runs: [] };
}
