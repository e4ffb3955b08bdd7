import type { StoreResults, TargetCheck } from "./figures.ts";
import { grouped } from "./log.ts";
import { REFERENCES } from "./references.ts";
import { PROBE_ROLES } from "./probe-protocol.ts";
import { MAIN_SCENARIO, SCENARIOS, type LabelContext } from "./scenarios.ts";
import { FIGURE_TARGETS, RATIOS } from "./targets.ts";

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

const failedText = (failed: number) => (failed > 0 ? `; ${failed} probe statement(s) failed` : "");

/** `median (min–max)` of a repeated rate, or the rate alone. */
function rateWithSpread(results: StoreResults, name: string): string {
  const spread = results.spreads[name];
  return `${grouped(results.figures[name]!)} rows/s${spread ? ` (${grouped(spread[0])}–${grouped(spread[1])})` : ""}`;
}

/** The result table of one store, as markdown with aligned columns, headed by what was measured where. */
export function storeReport(results: StoreResults): string {
  const f = results.figures;
  const figure = (name: string) => f[name]!;
  const target = (id: string | undefined) => results.targets.find((check) => check.id === id);
  const row = (label: string, value: string, ofLimit = "", id?: string): string[] => [label, value, ofLimit, target(id)?.target ?? "", verdict(target(id))];
  const targetOfFigure = (name: string) => FIGURE_TARGETS.find((check) => check.figure === name)?.id;
  const n = grouped(results.rows);
  const m = results.machine;
  const context: LabelContext = { rows: n, count: results.rows, sample: grouped(results.sample), workers: results.default_workers };
  const mainSamples = results.reference_samples_ms[MAIN_SCENARIO] ?? {};
  const rows = [
    ...REFERENCES.map((reference) => {
      const samples = mainSamples[reference.id]!.map((pair) => pair.map(secs).join(", ")).join("; ");
      return row(reference.label, `${rateWithSpread(results, `${reference.id}_rows_per_s`)} (${samples})`, ratio(results.of_limit[reference.id]!));
    }),
    ...SCENARIOS.map((scenario) =>
      row(
        scenario.label(context),
        `${rateWithSpread(results, `${scenario.id}_rows_per_s`)} (${secs(figure(`${scenario.id}_migrate_ms`))})`,
        ratio(results.of_limit[scenario.id]!),
      ),
    ),
    ...SCENARIOS.flatMap((scenario) =>
      scenario.finalizeLabel
        ? [
            row(
              scenario.finalizeLabel(context),
              `${ms(figure(`${scenario.id}_${scenario.moves === false ? "total" : "finalize"}_ms`))} / ${ms(figure(`${scenario.id}_lock_window_ms`))}`,
              "",
              targetOfFigure(`${scenario.id}_${scenario.moves === false ? "total" : "lock_window"}_ms`),
            ),
          ]
        : [],
    ),
    ...SCENARIOS.flatMap((scenario) => {
      if (!scenario.probeLabel || results.stalls[scenario.id] === undefined) return [];
      const each = (kind: string) => PROBE_ROLES.map((role) => ms(figure(`${scenario.id}_${kind.replace("*", role)}`))).join(" / ");
      return [
        row(
          `${scenario.probeLabel(context)}: stall during finalize, ${PROBE_ROLES.join(" / ")} (baseline median); lock window`,
          `${each("stall_*_ms")} (${each("baseline_*_median_ms")}); ${ms(figure(`${scenario.id}_lock_window_ms`))}${failedText(results.counts[`${scenario.id}_probe_failed`]!)}`,
          "",
          targetOfFigure(`${scenario.id}_stall_max_ms`),
        ),
      ];
    }),
    row(`(f) stats latency p50 / p99 (${grouped(figure("stats_polls"))} polls during dN)`, `${ms(figure("stats_p50_ms"))} / ${ms(figure("stats_p99_ms"))}`, "", "stats_p99"),
    ...SCENARIOS.flatMap((scenario) =>
      scenario.memoryLabel ? [row(scenario.memoryLabel, `${Math.round(figure(`${scenario.id}_peak_rss_mb`))} MB`, "", targetOfFigure(`${scenario.id === MAIN_SCENARIO ? "" : `${scenario.id}_`}peak_rss_mb`))] : [],
    ),
    row(`(h) writes/s while migrating ${grouped(figure("writes_rows"))} rows (alone)`, `${grouped(figure("writes_during_migrate_per_s"))} (${grouped(figure("writes_baseline_per_s"))}), p99 ${ms(figure("writes_during_migrate_p99_ms"))}`),
    row("(h) writes refused or failed", String(results.counts.writes_failed), "", "writes_failed"),
    row("(h) largest replay backlog / replayed under the lock", `${grouped(results.counts.writes_max_backlog!)} / ${grouped(results.counts.writes_replayed_under_lock!)}`, "", "writes_replayed_under_lock"),
    row("(h) finalize lock window / longest write during finalize", `${ms(figure("writes_lock_window_ms"))} / ${ms(figure("writes_during_finalize_max_ms"))}`),
    ...RATIOS.map((definition) => {
      const values = results.ratio_repetitions[definition.id]!;
      const spread = values.length > 1 ? ` (${ratio(Math.min(...values))}–${ratio(Math.max(...values))})` : "";
      return row(definition.label, `${ratio(results.ratios[definition.id]!)}${spread}`, "", definition.id);
    }),
  ];
  const loads = results.repetition_loads.map((load) => load[0]!.toFixed(2)).join(", ");
  return [
    `## ${results.store}: ${n} rows`,
    "",
    `${m.database}, node ${m.node}, ${m.cpu_count} × ${m.cpu_model}, ${grouped(m.total_memory_mb)} MB RAM, load ${m.load_average.join(" ")} at start, ${results.date}`,
    "",
    `${results.repeat} repetition(s); 1-minute load at the start of each: ${loads}`,
    "",
    alignedTable(["scenario", "result", "÷ (a)", "target", ""], rows),
    "",
    `(d) is dN (default workers). Repeated: (c), (b), (dN), (s), ${results.repeat} times each on a fresh database; a figure with a range is the median (min–max) of its runs, ` +
      "a stall the longest of its runs. (a) is timed on the database of (c), of (s) and of (dN), right before its migrate and right after its finalize; " +
      "(p1)–(p3) on that of (dN) (times shown per repetition: before, after); each ratio is taken within a repetition. " +
      "(e) at N finalizes the dN migrate; (e) at 10k the same migration on 10,000 rows. Stalls: the longest statement of each probe connection during the finalize.",
    "",
  ].join("\n");
}
