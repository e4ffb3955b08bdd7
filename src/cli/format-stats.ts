import type { CommandJson, MigrationJson, TableWritesJson, ThrottleJson } from "../wire/json-results.ts";
import type { CommandView, StatsView } from "./stats-view.ts";

/** `12345` → `12,345`, for row counts. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** The final status line of a command: the state and where the indexes stand. */
export function statusLine(view: StatsView): string {
  return `Status: ${view.status} (migration index ${view.current_migration_index} of ${view.target_migration_index})`;
}

/** Every line of a text, without the empty tail after the last `\n`. */
export function outputLines(output: string | undefined): string[] {
  if (!output) return [];
  const lines = output.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The readable summary `migrations stats` prints. */
export function formatStats(view: StatsView): string[] {
  const { count, migrated } = view.migratable_models;
  const lines = [
    `Status:           ${view.status}`,
    `Migration index:  ${view.current_migration_index} finalized, ${view.target_migration_index} registered`,
    `Migratable rows:  ${formatCount(migrated)} of ${formatCount(count)} migrated`,
  ];
  for (const [table, rows] of Object.entries(view.tables)) {
    lines.push(`  ${table}: ${formatCount(rows.migrated)} of ${formatCount(rows.count)}`);
  }
  if (view.migrations.length > 0) lines.push(`Migrations:       ${migrationsLine(view.migrations)}`);
  if (view.command) lines.push(`Command:          ${commandLine(view.command)}`);
  if (view.throttle) lines.push(`Throttle:         ${throttleLine(view.throttle)}`);
  const writes = Object.entries(view.writes);
  if (writes.length > 0) lines.push("Application writes:", ...writes.map(([table, w]) => `  ${table}: ${writesLine(w)}`));
  for (const warning of view.warnings) lines.push(`Warning:          ${warning}`);
  if (view.exception) lines.push(`Exception:        ${view.exception}`);
  const output = outputLines(view.output);
  if (output.length > 0) lines.push("Output of the last command:", ...output.map((line) => `  ${line}`));
  return lines;
}

/** `migrate, running on host:1:ab since 2026-…Z, 12,345 rows/s, ETA 42 s` (or `ran … to …`). */
function commandLine(command: CommandJson): string {
  const parts = [
    command.running ? `${command.name}, running on ${command.runner ?? "?"} since ${command.started_at ?? "?"}` : `${command.name}, ran on ${command.runner ?? "?"} from ${command.started_at ?? "?"} to ${command.ended_at ?? "?"}`,
  ];
  if (command.rows_per_second !== null) parts.push(`${formatCount(command.rows_per_second)} rows/s`);
  if (command.eta_seconds !== null) parts.push(`ETA ${Math.ceil(command.eta_seconds)} s`);
  return parts.join(", ");
}

/** `3: 1 finalized, 2 migration_required; 1 file changed (migrations list)`: how many are in each state. */
function migrationsLine(migrations: readonly MigrationJson[]): string {
  const byState = new Map<string, number>();
  for (const m of migrations) byState.set(m.state, (byState.get(m.state) ?? 0) + 1);
  const changed = migrations.filter((m) => m.file_changed).length;
  const states = [...byState].map(([state, count]) => `${count} ${state}`).join(", ");
  return `${migrations.length}: ${states}${changed > 0 ? `; ${changed} file(s) changed (migrations list)` : ""}`;
}

/** `paused, at most 5,000 rows/s` or `running, no limit`. */
function throttleLine(throttle: ThrottleJson): string {
  const limit = throttle.max_rows_per_second > 0 ? `at most ${formatCount(throttle.max_rows_per_second)} rows/s` : "no limit of rows/s";
  return `${throttle.paused ? "paused (migrations resume)" : "running"}, ${limit}`;
}

/** `captured, backlog 12, replaying 340.5/s` (the rate once known), or `protected (why)`. */
function writesLine(writes: TableWritesJson): string {
  if (writes.mode === "protected") return `protected (${writes.reason})`;
  const parts = ["captured", `backlog ${formatCount(writes.backlog)}`];
  if (writes.replay_rate !== null) parts.push(`replaying ${writes.replay_rate.toLocaleString("en-US", { maximumFractionDigits: 1 })}/s`);
  return parts.join(", ");
}

/** The line a reset (or a command with nothing to do) ends with. */
export function commandSummary(view: CommandView): string {
  return `Status: ${view.status}`;
}
