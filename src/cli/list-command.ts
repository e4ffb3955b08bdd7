import type { MigrationJson } from "../wire/json-results.ts";
import type { ClientOptions } from "./client-options.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatCount } from "./format-stats.ts";
import type { MigrationClient } from "./migration-client.ts";
import { statsView } from "./stats-view.ts";
import { textTable } from "./text-table.ts";
import type { Terminal } from "./terminal.ts";

/** `migrations list`: every migration with its state, times, rows and lock window (`stats.migrations`); `--json` prints that array. Exit 0 once answered. */
export async function listCommand(client: MigrationClient, options: ClientOptions, terminal: Terminal): Promise<ExitCode> {
  const { migrations } = statsView(await client.stats({}));
  if (options.json) terminal.out(JSON.stringify(migrations, null, 2));
  else for (const line of formatList(migrations)) terminal.out(line);
  return ExitCode.OK;
}

/** The table `migrations list` prints: one row per migration, and a note under it when a file changed. */
export function formatList(migrations: readonly MigrationJson[]): string[] {
  if (migrations.length === 0) return ["No migrations registered or recorded."];
  const header = ["INDEX", "NAME", "STATE", "STARTED", "FINISHED", "FINALIZED", "ROWS", "LOCK WINDOW", "FILE"];
  const rows = migrations.map((m) => [
    String(m.index), m.name, m.state, time(m.started_at), time(m.finished_at), time(m.finalized_at), formatCount(m.rows_moved),
    m.lock_window_ms === undefined ? "-" : `${m.lock_window_ms} ms`, m.file_changed ? "changed" : "",
  ]);
  const lines = textTable([header, ...rows]);
  if (migrations.some((m) => m.file_changed)) lines.push("", "changed: the file differs from the one the migration ran with, or is gone.");
  return lines;
}

/** `2026-12-01 22:30:01` (UTC, as stats gives it), or `-`. */
function time(iso: string | null): string {
  return iso === null ? "-" : iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}
