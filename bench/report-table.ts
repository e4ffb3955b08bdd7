import type { StoreResults, TargetCheck } from "./figures.ts";
import { grouped } from "./log.ts";

const ms = (value: number) => (value < 10 ? `${value.toFixed(1)} ms` : `${grouped(value)} ms`);
const secs = (value: number) => `${(value / 1000).toFixed(2)} s`;
const ratio = (value: number) => (value < 0.1 ? value.toPrecision(2) : value < 10 ? value.toFixed(2) : value.toFixed(1));
const verdict = (check: TargetCheck | undefined) => (check === undefined ? "" : check.met === null ? "n/a" : check.met ? "met" : "MISSED");

/** Pads the cells of a markdown table so that its columns line up in a terminal too. */
export function alignedTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${widths.map((width, i) => (cells[i] ?? "").padEnd(width)).join(" | ")} |`;
  return [line(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** The result table of one store, as markdown with aligned columns, headed by what was measured where. */
export function storeReport(results: StoreResults): string {
  const f = results.figures;
  const target = (id: string) => results.targets.find((check) => check.id === id);
  const row = (label: string, value: string, id?: string): string[] => [label, value, target(id ?? "")?.target ?? "", verdict(target(id ?? ""))];
  const n = grouped(results.rows);
  const m = results.machine;
  const rows = [
    row("(a) INSERT … SELECT in the database (the limit)", `${grouped(f.limit_rows_per_s!)} rows/s (${secs(f.limit_ms!)})`),
    row(`(b) row-by-row UPDATEs in dataManipulation, ${grouped(results.sample)} rows`, `${grouped(f.row_by_row_rows_per_s!)} rows/s (${secs(f.row_by_row_migrate_ms!)})`),
    row("(c) migrate, no transform", `${grouped(f.copy_rows_per_s!)} rows/s (${secs(f.copy_migrate_ms!)})`),
    row("(d1) migrate + transform, --workers 1", `${grouped(f.transform_1_worker_rows_per_s!)} rows/s (${secs(f.transform_1_worker_migrate_ms!)})`),
    row(`(dN) migrate + transform, default workers (${results.default_workers})`, `${grouped(f.transform_default_workers_rows_per_s!)} rows/s (${secs(f.transform_default_workers_migrate_ms!)})`),
    row("(e) finalize at 10,000 rows: wall / lock window", `${ms(f.finalize_10k_ms!)} / ${ms(f.lock_window_10k_ms!)}`),
    row(`(e) finalize at ${n} rows: wall / lock window`, `${ms(f.finalize_n_ms!)} / ${ms(f.lock_window_n_ms!)}`, "lock_window_n"),
    row("(e) lock window at N / at 10k", ratio(results.ratios.lock_window_n_over_10k), "lock_window_n_over_10k"),
    row(`(f) stats latency p50 / p99 (${grouped(f.stats_polls!)} polls during dN)`, `${ms(f.stats_p50_ms!)} / ${ms(f.stats_p99_ms!)}`, "stats_p99"),
    row("(g) peak RSS of the service during dN", `${Math.round(f.peak_rss_mb!)} MB`, "peak_rss"),
    row(`(h) writes/s while migrating ${grouped(f.writes_rows!)} rows (alone)`, `${grouped(f.writes_during_migrate_per_s!)} (${grouped(f.writes_baseline_per_s!)}), p99 ${ms(f.writes_during_migrate_p99_ms!)}`),
    row("(h) writes refused or failed", String(results.counts.writes_failed), "writes_failed"),
    row("(h) largest replay backlog / replayed under the lock", `${grouped(results.counts.writes_max_backlog!)} / ${grouped(results.counts.writes_replayed_under_lock!)}`, "writes_replayed_under_lock"),
    row("(h) finalize lock window / longest write during finalize", `${ms(f.writes_lock_window_ms!)} / ${ms(f.writes_during_finalize_max_ms!)}`),
    row("(d)/(a)", ratio(results.ratios.d_over_a), "d_over_a"),
    row("(c)/(a)", ratio(results.ratios.c_over_a), "c_over_a"),
    row("(d)/(b)", ratio(results.ratios.d_over_b), "d_over_b"),
  ];
  return [
    `## ${results.store}: ${n} rows`,
    "",
    `${m.database}, node ${m.node}, ${m.cpu_count} × ${m.cpu_model}, ${grouped(m.total_memory_mb)} MB RAM, load ${m.load_average.join(" ")} at start, ${results.date}`,
    "",
    alignedTable(["scenario", "result", "target", ""], rows),
    "",
    "(d) is dN (default workers). (e) at N finalizes the dN migrate; (e) at 10k the same migration on 10,000 rows.",
    "",
  ].join("\n");
}
