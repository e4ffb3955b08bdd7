import type { MachineInfo } from "./machine.ts";
import type { StoreRun } from "./run-store.ts";
import { percentile } from "./timing.ts";

/** A target of issue 4, checked against one figure; `met` is null where it does not apply to the store. */
export interface TargetCheck {
  id: string;
  /** What is compared, e.g. `(d)/(a)`. */
  label: string;
  value: number;
  /** The target as text, e.g. `≥ 0.5`. */
  target: string;
  met: boolean | null;
}

/** What `bench/results/<store>.json` holds. */
export interface StoreResults {
  store: string;
  date: string;
  rows: number;
  sample: number;
  default_workers: number;
  machine: MachineInfo;
  /** Every measured figure; all positive finite numbers. */
  figures: Record<string, number>;
  /** Counts that are rightly zero in a good run: failed writes of (h), its largest backlog and the changes replayed under its lock. */
  counts: Record<string, number>;
  /** (h): the replay backlog every 250 ms from the start of migrate, as [seconds, changes]. */
  writes_backlog: [number, number][];
  ratios: { d_over_a: number; c_over_a: number; d_over_b: number; lock_window_n_over_10k: number };
  targets: TargetCheck[];
  notes: string[];
}

const perSecond = (rows: number, ms: number) => (rows * 1000) / ms;
/** Six significant digits: enough for any figure, short enough to read. */
const rounded = <T extends Record<string, number>>(values: T): T =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Number(value.toPrecision(6))])) as T;

/** Turns a store's run into its figures, ratios and target checks. */
export function resultsOf(run: StoreRun): StoreResults {
  const { limit, rowByRow, copy, transformOne, transformDefault, finalizeSmall, writes } = run;
  const latencies = transformDefault.statsLatenciesMs;
  const memory = transformDefault.memory;
  if (memory === undefined) throw new Error("the (dN) run did not sample the service's memory");
  const figures = rounded({
    limit_rows_per_s: perSecond(limit.rows, limit.ms),
    limit_ms: limit.ms,
    row_by_row_rows_per_s: perSecond(rowByRow.rows, rowByRow.migrateMs),
    row_by_row_migrate_ms: rowByRow.migrateMs,
    copy_rows_per_s: perSecond(copy.rows, copy.migrateMs),
    copy_migrate_ms: copy.migrateMs,
    transform_1_worker_rows_per_s: perSecond(transformOne.rows, transformOne.migrateMs),
    transform_1_worker_migrate_ms: transformOne.migrateMs,
    transform_default_workers_rows_per_s: perSecond(transformDefault.rows, transformDefault.migrateMs),
    transform_default_workers_migrate_ms: transformDefault.migrateMs,
    finalize_10k_ms: finalizeSmall.finalizeMs,
    lock_window_10k_ms: finalizeSmall.lockWindowMs,
    finalize_n_ms: transformDefault.finalizeMs,
    lock_window_n_ms: transformDefault.lockWindowMs,
    finalize_after_copy_ms: copy.finalizeMs,
    lock_window_after_copy_ms: copy.lockWindowMs,
    finalize_after_1_worker_ms: transformOne.finalizeMs,
    lock_window_after_1_worker_ms: transformOne.lockWindowMs,
    stats_p50_ms: percentile(latencies, 50),
    stats_p99_ms: percentile(latencies, 99),
    stats_max_ms: percentile(latencies, 100),
    stats_polls: latencies.length,
    peak_rss_mb: Math.max(memory.hwmMb, memory.sampledPeakMb),
    vm_hwm_mb: memory.hwmMb,
    sampled_peak_rss_mb: memory.sampledPeakMb,
    writes_rows: writes.rows,
    writes_baseline_per_s: writes.baselineWritesPerS,
    writes_during_migrate_per_s: writes.migrateWritesPerS,
    writes_during_migrate_p99_ms: writes.migrateWriteP99Ms,
    writes_during_finalize_max_ms: writes.finalizeWriteMaxMs,
    writes_migrate_ms: writes.migrateMs,
    writes_finalize_ms: writes.finalizeMs,
    writes_lock_window_ms: writes.lockWindowMs,
  });
  // Counts that are rightly zero, kept apart from the figures (which must all be positive).
  const zeroable = { writes_failed: writes.failedWrites, writes_max_backlog: writes.maxBacklog, writes_replayed_under_lock: writes.replayedUnderLock };
  const ratios = rounded({
    d_over_a: figures.transform_default_workers_rows_per_s / figures.limit_rows_per_s,
    c_over_a: figures.copy_rows_per_s / figures.limit_rows_per_s,
    d_over_b: figures.transform_default_workers_rows_per_s / figures.row_by_row_rows_per_s,
    lock_window_n_over_10k: figures.lock_window_n_ms / figures.lock_window_10k_ms,
  });
  const pg = run.store === "postgres";
  const targets: TargetCheck[] = [
    { id: "d_over_a", label: "(d)/(a)", value: ratios.d_over_a, target: "≥ 0.5", met: ratios.d_over_a >= 0.5 },
    { id: "c_over_a", label: "(c)/(a)", value: ratios.c_over_a, target: "≥ 0.8", met: ratios.c_over_a >= 0.8 },
    { id: "d_over_b", label: "(d)/(b)", value: ratios.d_over_b, target: "≥ 20", met: ratios.d_over_b >= 20 },
    { id: "lock_window_n", label: "lock window at N", value: figures.lock_window_n_ms, target: "< 100 ms (PostgreSQL)", met: pg ? figures.lock_window_n_ms < 100 : null },
    { id: "lock_window_n_over_10k", label: "lock window N / 10k", value: ratios.lock_window_n_over_10k, target: "≤ 2", met: ratios.lock_window_n_over_10k <= 2 },
    { id: "stats_p99", label: "stats p99", value: figures.stats_p99_ms, target: "≤ 50 ms", met: figures.stats_p99_ms <= 50 },
    { id: "peak_rss", label: "peak RSS", value: figures.peak_rss_mb, target: "≤ 300 MB", met: figures.peak_rss_mb <= 300 },
    { id: "writes_failed", label: "(h) writes refused or failed", value: zeroable.writes_failed, target: "= 0", met: zeroable.writes_failed === 0 },
    {
      id: "writes_replayed_under_lock", label: "(h) changes replayed under the lock", value: zeroable.writes_replayed_under_lock,
      target: "≤ 1000 (--max-finalize-backlog)", met: zeroable.writes_replayed_under_lock <= 1000,
    },
  ];
  for (const [name, value] of Object.entries({ ...figures, ...ratios })) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`figure ${name} is ${value}, not a positive finite number`);
  }
  return {
    store: run.store,
    date: run.date,
    rows: run.rows,
    sample: run.sample,
    default_workers: run.defaultWorkers,
    machine: run.machine,
    figures,
    counts: zeroable,
    writes_backlog: writes.backlog,
    ratios,
    targets,
    notes: [
      "(a): INSERT INTO items_copy SELECT * FROM items in the database itself (items_copy has the same columns and primary key), timed by a direct client.",
      `(b): a migration whose dataManipulation SELECTs all ${run.sample} rows and UPDATEs each one from JS; rows/s from the wall time of migrate.`,
      "(c), (d): wall time from sending migrate until stats shows finalization_required; (d) upper-cases name and doubles amount in a transform.",
      `(e) at N: the finalize of the (d) migrate with the default workers; (e) at 10k: the same migration on ${finalizeSmall.rows} rows, then finalize. Lock window from the verbose finalize output.`,
      "(f): stats polled every ~20 ms by a client while (d) with the default workers ran.",
      "(g): max of VmHWM at the end of (d) default and VmRSS sampled every 50 ms during it, of the service process.",
      "Every migrate and finalize is checked: row count, a fingerprint of all rows and the schema after finalize, a few rows read back.",
      `(h): on ${writes.rows} rows, one application connection commits UPDATE items SET amount = amount WHERE id = <random> in a loop, 2 s alone, then through migrate (the (d) transform, items captured), 2 s waiting for finalize and a verbose finalize; each write is captured and replayed and leaves the row as it was, so the fingerprint check stays exact. Backlog from stats.writes every 250 ms.`,
    ],
  };
}
