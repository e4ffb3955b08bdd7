import type { StoreName } from "./options.ts";

/** A bound per store; null where it does not apply to that store. */
export interface Bound {
  op: "≥" | "≤" | "<" | "=";
  postgres: number | null;
  sqlite: number | null;
  /** Printed after the number, e.g. ` ms`. */
  unit?: string;
}

/**
 * A ratio of two figures (`of` ÷ `to`), with its bound (issues 4, 13 and 15), computed once per repetition:
 * `to` is the reference timed on the database of scenario `around` right before its migrate and right after
 * its finalize in the same repetition, or (without `around`) a figure of a scenario of the same repetition.
 */
export interface RatioDefinition {
  id: string;
  label: string;
  of: string;
  to: string;
  around?: string;
  bound?: Bound;
}

/** A bound on one figure or count. */
export interface FigureTarget {
  id: string;
  label: string;
  figure: string;
  bound: Bound;
  /** Printed after the bound, e.g. ` (--max-finalize-backlog)`. */
  note?: string;
}

const both = (op: Bound["op"], value: number, unit?: string): Bound => ({ op, postgres: value, sqlite: value, ...(unit && { unit }) });

/** Every ratio the results hold, in printed order; a new one is a new entry here. */
export const RATIOS: readonly RatioDefinition[] = [
  {
    id: "d_over_a", label: "(dN)/(a)", of: "transform_default_workers_rows_per_s", to: "limit_rows_per_s", around: "transform_default_workers",
    bound: { op: "≥", postgres: 0.5, sqlite: 0.3 },
  },
  {
    id: "d_over_pipeline_objects", label: "(dN)/(p1) hand-written pipeline, objects", of: "transform_default_workers_rows_per_s",
    to: "pipeline_objects_rows_per_s", around: "transform_default_workers", bound: both("≥", 0.9),
  },
  {
    id: "d_over_pipeline_strings", label: "(dN)/(p2) hand-written pipeline, strings", of: "transform_default_workers_rows_per_s",
    to: "pipeline_strings_rows_per_s", around: "transform_default_workers",
  },
  {
    id: "d_over_batched_update", label: "(dN)/(p3) pgroll-style batched UPDATE", of: "transform_default_workers_rows_per_s",
    to: "batched_update_rows_per_s", around: "transform_default_workers", bound: { op: "≥", postgres: 1.5, sqlite: 1 },
  },
  { id: "sql_over_a", label: "(s)/(a) SQL-expression transform", of: "sql_transform_rows_per_s", to: "limit_rows_per_s", around: "sql_transform", bound: both("≥", 0.9) },
  { id: "c_over_a", label: "(c)/(a)", of: "copy_rows_per_s", to: "limit_rows_per_s", around: "copy", bound: both("≥", 0.8) },
  { id: "d_over_b", label: "(dN)/(b)", of: "transform_default_workers_rows_per_s", to: "row_by_row_rows_per_s", bound: both("≥", 20) },
  {
    id: "lock_window_n_over_10k", label: "(e) lock window at N / at 10k",
    of: "transform_default_workers_lock_window_ms", to: "transform_10k_lock_window_ms", bound: both("≤", 2),
  },
];

/** Every bound on a single figure or count, in printed order. */
export const FIGURE_TARGETS: readonly FigureTarget[] = [
  { id: "lock_window_n", label: "(e) lock window at N", figure: "transform_default_workers_lock_window_ms", bound: { op: "<", postgres: 100, sqlite: null, unit: " ms" } },
  { id: "add_column_total", label: "(k) add a column with a default: migrate + finalize", figure: "add_column_total_ms", bound: both("≤", 100, " ms") },
  { id: "indexed_lock_window", label: "(i) lock window, 3 indexes + FK", figure: "indexed_lock_window_ms", bound: both("≤", 100, " ms") },
  ...[
    ["transform_default_workers", "(e) at N"],
    ["indexed", "(i) 3 indexes + FK"],
    ["tables", "(t) 50 tables"],
    ["wide", "(w) wide rows"],
  ].map(([scenario, name]): FigureTarget => ({
    id: `${scenario}_stall`,
    label: `${name}: longest application stall during finalize`,
    figure: `${scenario}_stall_max_ms`,
    bound: both("≤", 100, " ms"),
  })),
  { id: "wide_peak_rss", label: "(w) peak RSS during migrate", figure: "wide_peak_rss_mb", bound: both("≤", 300, " MB") },
  { id: "stats_p99", label: "(f) stats p99", figure: "stats_p99_ms", bound: both("≤", 50, " ms") },
  { id: "peak_rss", label: "(g) peak RSS", figure: "peak_rss_mb", bound: both("≤", 300, " MB") },
  { id: "writes_failed", label: "(h) writes refused or failed", figure: "writes_failed", bound: both("=", 0) },
  {
    id: "writes_replayed_under_lock", label: "(h) changes replayed under the lock", figure: "writes_replayed_under_lock",
    bound: both("≤", 1000), note: " (--max-finalize-backlog)",
  },
];

/** The bound as text for `store` (e.g. `≥ 0.5`), and whether `value` meets it (null where it does not apply). */
export function check(bound: Bound, store: StoreName, value: number): { target: string; met: boolean | null } {
  const limit = bound[store];
  if (limit === null) {
    const other = store === "postgres" ? bound.sqlite : bound.postgres;
    return { target: `${bound.op} ${other}${bound.unit ?? ""} (${store === "postgres" ? "SQLite" : "PostgreSQL"})`, met: null };
  }
  const met = bound.op === "≥" ? value >= limit : bound.op === "≤" ? value <= limit : bound.op === "<" ? value < limit : value === limit;
  return { target: `${bound.op} ${limit}${bound.unit ?? ""}`, met };
}
