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
  for (const warning of view.warnings) lines.push(`Warning:          ${warning}`);
  if (view.exception) lines.push(`Exception:        ${view.exception}`);
  const output = outputLines(view.output);
  if (output.length > 0) lines.push("Output of the last command:", ...output.map((line) => `  ${line}`));
  return lines;
}

/** The line a reset (or a command with nothing to do) ends with. */
export function commandSummary(view: CommandView): string {
  return `Status: ${view.status}`;
}
