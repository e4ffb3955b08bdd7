import type { MachineInfo } from "./machine.ts";
import { REFERENCES } from "./references.ts";
import type { StoreRun } from "./run-store.ts";
import { MAIN_SCENARIO, SCENARIOS, SMALL_FINALIZE_ROWS } from "./scenarios.ts";
import { check, FIGURE_TARGETS, RATIOS } from "./targets.ts";
import { median, percentile } from "./timing.ts";

/** A target of issues 4 and 13, checked against one figure; `met` is null where it does not apply to the store. */
export interface TargetCheck {
  id: string;
  /** What is compared, e.g. `(dN)/(a)`. */
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
  /** Every measured figure; all positive finite numbers. A reference's figure is the median of its times. */
  figures: Record<string, number>;
  /** Counts that are rightly zero in a good run: failed writes of (h), its largest backlog and the changes replayed under its lock. */
  counts: Record<string, number>;
  /** Each reference's times in ms: right before the migrate it was timed around, right after its finalize. */
  reference_samples_ms: Record<string, number[]>;
  /** (h): the replay backlog every 250 ms from the start of migrate, as [seconds, changes]. */
  writes_backlog: [number, number][];
  /** Every ratio of RATIOS (bench/targets.ts). */
  ratios: Record<string, number>;
  /** Each rate (references and scenarios, by figure prefix) ÷ (a) of the same run. */
  of_limit: Record<string, number>;
  targets: TargetCheck[];
  notes: string[];
}

const perSecond = (rows: number, ms: number) => (rows * 1000) / ms;
/** Six significant digits: enough for any figure, short enough to read. */
const rounded = (values: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Number(value.toPrecision(6))]));

function measuredFigures(run: StoreRun): Record<string, number> {
  const main = run.migrations[MAIN_SCENARIO]!;
  const { writes } = run;
  const memory = main.memory;
  if (memory === undefined) throw new Error(`the ${MAIN_SCENARIO} run did not sample the service's memory`);
  const figures: Record<string, number> = {};
  for (const reference of REFERENCES) {
    const measured = run.references.get(reference.kind);
    if (measured === undefined) throw new Error(`no scenario timed reference ${reference.kind}`);
    figures[`${reference.id}_rows_per_s`] = perSecond(measured.rows, median(measured.samplesMs));
    figures[`${reference.id}_ms`] = median(measured.samplesMs);
  }
  for (const scenario of SCENARIOS) {
    const result = run.migrations[scenario.id]!;
    figures[`${scenario.id}_rows_per_s`] = perSecond(result.rows, result.migrateMs);
    figures[`${scenario.id}_migrate_ms`] = result.migrateMs;
    figures[`${scenario.id}_finalize_ms`] = result.finalizeMs;
    figures[`${scenario.id}_total_ms`] = result.migrateMs + result.finalizeMs;
    figures[`${scenario.id}_lock_window_ms`] = result.lockWindowMs;
  }
  return {
    ...figures,
    stats_p50_ms: percentile(main.statsLatenciesMs, 50),
    stats_p99_ms: percentile(main.statsLatenciesMs, 99),
    stats_max_ms: percentile(main.statsLatenciesMs, 100),
    stats_polls: main.statsLatenciesMs.length,
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
  };
}

/** Turns a store's run into its figures, ratios and target checks. */
export function resultsOf(run: StoreRun): StoreResults {
  const figures = rounded(measuredFigures(run));
  const { writes } = run;
  // Counts that are rightly zero, kept apart from the figures (which must all be positive).
  const counts = { writes_failed: writes.failedWrites, writes_max_backlog: writes.maxBacklog, writes_replayed_under_lock: writes.replayedUnderLock };
  const figure = (name: string) => {
    const value = figures[name] ?? counts[name as keyof typeof counts];
    if (value === undefined) throw new Error(`no figure ${name}`);
    return value;
  };
  const ratios = rounded(Object.fromEntries(RATIOS.map((ratio) => [ratio.id, figure(ratio.of) / figure(ratio.to)])));
  const rates = [...REFERENCES.map((reference) => reference.id), ...SCENARIOS.map((scenario) => scenario.id)];
  const ofLimit = rounded(Object.fromEntries(rates.map((id) => [id, figure(`${id}_rows_per_s`) / figure("limit_rows_per_s")])));
  const targets: TargetCheck[] = [
    ...RATIOS.flatMap((ratio) => (ratio.bound ? [{ id: ratio.id, label: ratio.label, value: ratios[ratio.id]!, ...check(ratio.bound, run.store, ratios[ratio.id]!) }] : [])),
    ...FIGURE_TARGETS.map((target) => {
      const value = figure(target.figure);
      const checked = check(target.bound, run.store, value);
      return { id: target.id, label: target.label, value, target: checked.target + (target.note ?? ""), met: checked.met };
    }),
  ];
  for (const [name, value] of Object.entries({ ...figures, ...ratios, ...ofLimit })) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`figure ${name} is ${value}, not a positive finite number`);
  }
  const referenceRows = run.references.get("insert-select")!.rows;
  return {
    store: run.store,
    date: run.date,
    rows: run.rows,
    sample: run.sample,
    default_workers: run.defaultWorkers,
    machine: run.machine,
    figures,
    counts,
    reference_samples_ms: Object.fromEntries(REFERENCES.map((reference) => [reference.id, run.references.get(reference.kind)!.samplesMs.map((ms) => Number(ms.toPrecision(6)))])),
    writes_backlog: writes.backlog,
    ratios,
    of_limit: ofLimit,
    targets,
    notes: notesOf(run, referenceRows),
  };
}

function notesOf(run: StoreRun, referenceRows: number): string[] {
  const pg = run.store === "postgres";
  return [
    `(a), (p1)–(p3): timed by the bench process itself on the database of (dN) (${referenceRows} rows), once right before its migrate and once right after its finalize (VACUUM ANALYZE / WAL checkpoint before each, untimed); the figure is the median (here: the mean of the two), reference_samples_ms holds both. Each writes a new table next to items, is checked against a fingerprint of all rows, and is dropped.`,
    "(a): INSERT INTO items_copy SELECT * FROM items (items_copy has the same columns and primary key).",
    pg
      ? "(p1): COPY (SELECT * FROM items) TO STDOUT on one connection, each line parsed into a row object with pg's type parsers (pg.types.getTypeParser), the (d) transform (bench/item-transform.ts, the function the (d) migration imports), COPY items_new FROM STDIN on a second connection, streamed. (p2): the same with every field left as its text."
      : "(p1): SELECT * FROM items iterated on one connection (better-sqlite3 row objects), the (d) transform (bench/item-transform.ts, the function the (d) migration imports), a prepared INSERT into items_new on a second connection, 10,000 rows a transaction. (p2): the same with every column read as text (CAST(… AS TEXT)); column affinity stores them as numbers again.",
    `(p3): pgroll's backfill batching (pkg/backfill at xataio/pgroll cdbe9b0f: 1,000-row batches in primary-key order after the last key, ${pg ? "FOR NO KEY UPDATE, " : ""}one transaction each), the (d) change done by the UPDATE's SET (pgroll uses a trigger), on a copy of items made untimed.`,
    `(b): a migration whose dataManipulation SELECTs all ${run.sample} rows and UPDATEs each one from JS; rows/s from the wall time of migrate.`,
    "(c), (d), (i): wall time from sending migrate until stats shows finalization_required; (d) and (i) upper-case name and double amount in a transform.",
    `(e) at N: the finalize of the (dN) migrate; (e) at 10k: the same migration on ${SMALL_FINALIZE_ROWS} rows, then finalize. Lock windows from the verbose finalize output.`,
    "(i): items with owner_id, a foreign key to owners (1,000 rows), and indexes on name, email (UNIQUE) and owner_id; the (d) transform, then a verbose finalize.",
    "(f): stats polled every ~20 ms by a client while (dN) ran.",
    "(g): max of VmHWM at the end of (dN) and VmRSS sampled every 50 ms during it, of the service process.",
    "Every migrate and finalize is checked: row count, a fingerprint of all rows and the schema after finalize, a few rows read back.",
    `(h): on ${run.writes.rows} rows, one application connection commits UPDATE items SET amount = amount WHERE id = <random> in a loop, 2 s alone, then through migrate (the (d) transform, items captured), 2 s waiting for finalize and a verbose finalize; each write is captured and replayed and leaves the row as it was, so the fingerprint check stays exact. Backlog from stats.writes every 250 ms.`,
  ];
}
