import type { CommandResult, Stats } from "../core/results.ts";

/** `{"success": true, "status", "output"?, "exception"?}`: the answer to migrate / finalize / reset / progress. */
export function commandBody(result: CommandResult): Record<string, unknown> {
  return { success: true, ...resultFields(result) };
}

/** `{"success": true, "stats": {…}}` with the documented snake_case keys, plus `warnings` inside `stats`. */
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
    },
  };
}

/** `{"success": false, "message"}`: every request error. */
export function errorBody(message: string): Record<string, unknown> {
  return { success: false, message };
}

function resultFields(result: CommandResult): Record<string, unknown> {
  return {
    status: result.status,
    ...(result.output !== undefined && { output: result.output }),
    ...(result.exception !== undefined && { exception: result.exception }),
  };
}
