import type { MachineInfo } from "./machine.ts";
import type { ProbeStall } from "./probe.ts";
import { referenceOf, REFERENCES } from "./references.ts";
import type { StoreRun } from "./run-store.ts";
import type { MigrateResult } from "./scenario-migrate.ts";
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
  /** `--repeat`: runs of each ratio-bearing scenario with its references. */
  repeat: number;
  default_workers: number;
  machine: MachineInfo;
  /** The 1, 5 and 15 minute load averages at the start of each repetition. */
  repetition_loads: number[][];
  /**
   * Every measured figure; all positive finite numbers. A repeated scenario's figure is the median of its
   * runs, except its probe stalls (`<id>_stall_*`), which are the longest of its runs. A reference's figure is
   * of the references timed around (dN), the median of its repetitions (each the mean of before and after).
   */
  figures: Record<string, number>;
  /** For every figure measured more than once: [min, max] of its runs. */
  spreads: Record<string, [number, number]>;
  /** Counts that are rightly zero in a good run: failed writes of (h), its largest backlog, the changes replayed under its lock, and `<id>_probe_failed`: probe statements that failed. */
  counts: Record<string, number>;
  /** By scenario, each reference timed around it, per repetition: [right before its migrate, right after its finalize] in ms. */
  reference_samples_ms: Record<string, Record<string, number[][]>>;
  /** By probed scenario, per repetition, what each probe connection saw around the finalize. */
  stalls: Record<string, ProbeStall[][]>;
  /** (h): the replay backlog every 250 ms from the start of migrate, as [seconds, changes]. */
  writes_backlog: [number, number][];
  /** Every ratio of RATIOS (bench/targets.ts): the median of its repetitions. */
  ratios: Record<string, number>;
  /** Every ratio of each repetition, in order. */
  ratio_repetitions: Record<string, number[]>;
  /** Each rate (references and scenarios, by figure prefix) ÷ (a) of the same run. */
  of_limit: Record<string, number>;
  targets: TargetCheck[];
  notes: string[];
}

const perSecond = (rows: number, ms: number) => (rows * 1000) / ms;
/** Six significant digits: enough for any figure, short enough to read. */
const rounded = (values: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Number(value.toPrecision(6))]));
const round6 = (value: number) => Number(value.toPrecision(6));

/** The figures of the references timed around one run of a scenario (the mean of before and after). */
function referenceFigures(result: MigrateResult): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const [kind, samplesMs] of result.references) {
    const { id } = referenceOf(kind);
    figures[`${id}_rows_per_s`] = perSecond(result.rows, median(samplesMs));
    figures[`${id}_ms`] = median(samplesMs);
  }
  return figures;
}

/** The figures of one run of scenario `id`. */
function runFigures(id: string, result: MigrateResult): Record<string, number> {
  const figures: Record<string, number> = {
    [`${id}_rows_per_s`]: perSecond(result.rows, result.migrateMs),
    [`${id}_migrate_ms`]: result.migrateMs,
    [`${id}_finalize_ms`]: result.finalizeMs,
    [`${id}_total_ms`]: result.migrateMs + result.finalizeMs,
    [`${id}_lock_window_ms`]: result.lockWindowMs,
  };
  if (result.memory) figures[`${id}_peak_rss_mb`] = Math.max(result.memory.hwmMb, result.memory.sampledPeakMb);
  if (result.stalls) {
    for (const stall of result.stalls) {
      figures[`${id}_stall_${stall.role}_ms`] = stall.stallMs;
      figures[`${id}_baseline_${stall.role}_median_ms`] = stall.baselineMedianMs;
      figures[`${id}_baseline_${stall.role}_p99_ms`] = stall.baselineP99Ms;
    }
    figures[`${id}_stall_max_ms`] = Math.max(...result.stalls.map((stall) => stall.stallMs));
  }
  return figures;
}

/** Every figure of repetition `i` (0-based): each scenario's run of that repetition, or its only run. */
function repetitionFigures(run: StoreRun, i: number): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const scenario of SCENARIOS) {
    const results = run.migrations[scenario.id]!;
    Object.assign(figures, runFigures(scenario.id, results[Math.min(i, results.length - 1)]!));
  }
  return figures;
}

/** Each scenario's figures over its runs (median; stalls: the longest), with the spread of those measured more than once. */
function scenarioFigures(run: StoreRun): { figures: Record<string, number>; spreads: Record<string, [number, number]> } {
  const values = new Map<string, number[]>();
  const add = (figures: Record<string, number>) => {
    for (const [name, value] of Object.entries(figures)) values.set(name, [...(values.get(name) ?? []), value]);
  };
  for (const scenario of SCENARIOS) for (const result of run.migrations[scenario.id]!) add(runFigures(scenario.id, result));
  for (const result of run.migrations[MAIN_SCENARIO]!) add(referenceFigures(result));
  const figures: Record<string, number> = {};
  const spreads: Record<string, [number, number]> = {};
  for (const [name, list] of values) {
    figures[name] = name.includes("_stall_") ? Math.max(...list) : median(list);
    if (list.length > 1) spreads[name] = [round6(Math.min(...list)), round6(Math.max(...list))];
  }
  return { figures, spreads };
}

function measuredFigures(run: StoreRun, figures: Record<string, number>): Record<string, number> {
  const main = run.migrations[MAIN_SCENARIO]![0]!;
  const { writes } = run;
  if (main.memory === undefined) throw new Error(`the ${MAIN_SCENARIO} run did not sample the service's memory`);
  return {
    ...figures,
    stats_p50_ms: percentile(main.statsLatenciesMs, 50),
    stats_p99_ms: percentile(main.statsLatenciesMs, 99),
    stats_max_ms: percentile(main.statsLatenciesMs, 100),
    stats_polls: main.statsLatenciesMs.length,
    peak_rss_mb: figures[`${MAIN_SCENARIO}_peak_rss_mb`]!,
    vm_hwm_mb: main.memory.hwmMb,
    sampled_peak_rss_mb: main.memory.sampledPeakMb,
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

/** Each ratio of RATIOS in every repetition: its scenario's run of that repetition against the reference timed around it. */
function ratioRepetitions(run: StoreRun): Record<string, number[]> {
  return Object.fromEntries(
    RATIOS.map((ratio) => {
      const values: number[] = [];
      for (let i = 0; i < run.repeat; i++) {
        const figures = repetitionFigures(run, i);
        if (ratio.around !== undefined) {
          const results = run.migrations[ratio.around]!;
          Object.assign(figures, referenceFigures(results[Math.min(i, results.length - 1)]!));
        }
        const of = figures[ratio.of];
        const to = figures[ratio.to];
        if (of === undefined || to === undefined) throw new Error(`ratio ${ratio.id}: no figure ${of === undefined ? ratio.of : ratio.to}`);
        values.push(round6(of / to));
      }
      return [ratio.id, values];
    }),
  );
}

/** Turns a store's run into its figures, ratios and target checks. */
export function resultsOf(run: StoreRun): StoreResults {
  const measured = scenarioFigures(run);
  const figures = rounded(measuredFigures(run, measured.figures));
  const { writes } = run;
  // Counts that are rightly zero, kept apart from the figures (which must all be positive).
  const counts: Record<string, number> = {
    writes_failed: writes.failedWrites,
    writes_max_backlog: writes.maxBacklog,
    writes_replayed_under_lock: writes.replayedUnderLock,
    // Probe statements that failed (a SQLite busy timeout, an error of the server), over all runs of each probed scenario.
    ...Object.fromEntries(
      SCENARIOS.filter((scenario) => run.migrations[scenario.id]![0]!.stalls).map((scenario) => [
        `${scenario.id}_probe_failed`,
        run.migrations[scenario.id]!.reduce((sum, result) => sum + result.stalls!.reduce((total, stall) => total + stall.errors, 0), 0),
      ]),
    ),
  };
  const figure = (name: string) => {
    const value = figures[name] ?? counts[name];
    if (value === undefined) throw new Error(`no figure ${name}`);
    return value;
  };
  const ratioRepeats = ratioRepetitions(run);
  const ratios = rounded(Object.fromEntries(RATIOS.map((ratio) => [ratio.id, median(ratioRepeats[ratio.id]!)])));
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
  const round = (ms: number) => Number(ms.toPrecision(6));
  return {
    store: run.store,
    date: run.date,
    rows: run.rows,
    sample: run.sample,
    repeat: run.repeat,
    default_workers: run.defaultWorkers,
    machine: run.machine,
    repetition_loads: run.repetitionLoads,
    figures,
    spreads: measured.spreads,
    counts,
    reference_samples_ms: Object.fromEntries(
      SCENARIOS.filter((scenario) => run.migrations[scenario.id]![0]!.references.size > 0).map((scenario) => [
        scenario.id,
        Object.fromEntries(
          [...run.migrations[scenario.id]![0]!.references.keys()].map((kind) => [
            referenceOf(kind).id,
            run.migrations[scenario.id]!.map((result) => result.references.get(kind)!.map(round)),
          ]),
        ),
      ]),
    ),
    stalls: Object.fromEntries(
      SCENARIOS.filter((scenario) => run.migrations[scenario.id]![0]!.stalls).map((scenario) => [
        scenario.id,
        run.migrations[scenario.id]!.map((result) =>
          result.stalls!.map((stall) => ({ ...stall, baselineMedianMs: round(stall.baselineMedianMs), baselineP99Ms: round(stall.baselineP99Ms), stallMs: round(stall.stallMs), stallOverBaselineMs: round(stall.stallOverBaselineMs) })),
        ),
      ]),
    ),
    writes_backlog: writes.backlog,
    ratios,
    ratio_repetitions: ratioRepeats,
    of_limit: ofLimit,
    targets,
    notes: notesOf(run),
  };
}

function notesOf(run: StoreRun): string[] {
  const pg = run.store === "postgres";
  return [
    `Repetitions: (c), (b), (dN) and (s) ran ${run.repeat} time(s), each time on a fresh database with a fresh service, in that order within a repetition; every other scenario ran once, in the first. A repeated figure is the median of its runs and spreads holds [min, max]; each ratio is computed within a repetition (ratio_repetitions) and its figure is their median. repetition_loads holds the load average at the start of each.`,
    `Pairing: (a) is timed on the database of (c) right before its migrate and right after its finalize, and again on the database of (s), for (c)/(a) and (s)/(a); (a), (p1)–(p3) on the database of (dN), likewise, for the (dN) ratios. (b) runs on its own ${run.sample}-row database right before (dN) in the same repetition. A reference's time in a repetition is the mean of before and after (VACUUM ANALYZE / WAL checkpoint before each, untimed); reference_samples_ms holds both for every repetition. Each writes a new table next to items, is checked against a fingerprint of all rows, and is dropped. The ÷ (a) column uses the (a) timed around (dN).`,
    "(a): INSERT INTO items_copy SELECT * FROM items (items_copy has the same columns and primary key).",
    pg
      ? "(p1): COPY (SELECT * FROM items) TO STDOUT on one connection, each line parsed into a row object with pg's type parsers (pg.types.getTypeParser), the (d) transform (bench/item-transform.ts, the function the (d) migration imports), COPY items_new FROM STDIN on a second connection, streamed. (p2): the same with every field left as its text."
      : "(p1): SELECT * FROM items iterated on one connection (better-sqlite3 row objects), the (d) transform (bench/item-transform.ts, the function the (d) migration imports), a prepared INSERT into items_new on a second connection, 10,000 rows a transaction. (p2): the same with every column read as text (CAST(… AS TEXT)); column affinity stores them as numbers again.",
    `(p3): pgroll's backfill batching (pkg/backfill at xataio/pgroll cdbe9b0f: 1,000-row batches in primary-key order after the last key, ${pg ? "FOR NO KEY UPDATE, " : ""}one transaction each), the (d) change done by the UPDATE's SET (pgroll uses a trigger), on a copy of items made untimed.`,
    `(b): a migration whose dataManipulation SELECTs all ${run.sample} rows and UPDATEs each one from JS; rows/s from the wall time of migrate.`,
    "(c), (d), (i), (t), (w): wall time from sending migrate until stats shows finalization_required; (d), (i), (t) and (w) upper-case name and double amount in a transform.",
    `(e) at N: the finalize of the (dN) migrate; (e) at 10k: the same migration on ${SMALL_FINALIZE_ROWS} rows, then finalize. Lock windows from the verbose finalize output's "finalization: lock window <N> ms" line, polled from stats until it is there.`,
    "(i): items with owner_id, a foreign key to owners (1,000 rows), and indexes on name, email (UNIQUE) and owner_id; the (d) transform, then a verbose finalize.",
    "(t): 50 tables items_01 … items_50 of rows/50 rows each, one transform migration listing them all. (w): rows/5 rows of items with body (2,048 characters of text) and doc (a json document), the (d) transform; its peak RSS as (g).",
    `Probe (e) at N, (i), (t), (w): from the moment migrate ended, three processes of bench/probe-connection.ts each hold one connection (${pg ? "pg" : "better-sqlite3, busy_timeout 5000, WAL"}) and issue one statement every 2 ms: a SELECT * of a random existing row of a migrated table (a random one of them), an UPDATE … SET amount = amount of one (captured and replayed, it leaves the row as it was, so the data check stays exact), an INSERT into app_events, a table no migration lists. Baseline: their statements in the 1 s before finalize (median, p99). Stall: the longest statement that overlapped the finalize, from sending finalize until stats showed finalized; a repeated scenario's stall figure is the longest of its runs.`,
    "(f): stats polled every ~20 ms by a client while (dN) ran.",
    "(g): max of VmHWM at the end of (dN) and VmRSS sampled every 50 ms during it, of the service process.",
    "Every migrate and finalize is checked: row count, a fingerprint of all rows and the schema after finalize, a few rows read back.",
    `(h): on ${run.writes.rows} rows, one application connection commits UPDATE items SET amount = amount WHERE id = <random> in a loop, 2 s alone, then through migrate (the (d) transform, items captured), 2 s waiting for finalize and a verbose finalize; each write is captured and replayed and leaves the row as it was, so the fingerprint check stays exact. Backlog from stats.writes every 250 ms.`,
  ];
}
