import type { CommandResult, CommandSummary, Stats } from "../core/results.ts";

/** `{"success": true, "status", "output"?, "exception"?}`: the answer to migrate / finalize / reset / progress. */
export function commandBody(result: CommandResult): Record<string, unknown> {
  return { success: true, ...resultFields(result) };
}

/** `{"success": true, "stats": {…}}` with the documented snake_case keys, plus `warnings`, `tables` and `command` inside `stats`. */
export function statsBody(stats: Stats): Record<string, unknown> {
  return {
    success: true,
    stats: {
      ...resultFields(stats),
      current_migration_index: stats.currentMigrationIndex,
      target_migration_index: stats.targetMigrationIndex,
      migratable_models: {
        count: stats.migratableModels.count,
        migrated: stats.migratableModels.migrated,
      },
      warnings: [...stats.warnings],
      // Additions for operators (CONTRACT §4 allows extra keys inside stats).
      tables: Object.fromEntries(stats.tables.map((t) => [t.table, { count: t.count, migrated: t.migrated }])),
      command: stats.command === null ? null : commandJson(stats.command),
    },
  };
}

/** The running or last command in snake_case; times as ISO 8601. */
function commandJson(command: CommandSummary): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    name: command.name,
    running: command.running,
    runner: command.runner,
    started_at: iso(command.startedAt),
    ended_at: iso(command.endedAt),
    rows_per_second: command.rowsPerSecond === null ? null : Math.round(command.rowsPerSecond * 10) / 10,
    eta_seconds: command.etaSeconds === null ? null : Math.round(command.etaSeconds * 10) / 10,
  };
}

/** `{"success": false, "message"}`: every request error. */
export function errorBody(message: string): Record<string, unknown> {
  return { success: false, message };
}

function resultFields(result: CommandResult): Record<string, unknown> {
  return {
    status: result.status,
    output: result.output,
    ...(result.exception !== undefined && { exception: result.exception }),
  };
}
