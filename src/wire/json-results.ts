import type { MigrationInfo } from "../core/migration-list.ts";
import type { CommandResult, CommandSummary, Stats, ThrottleState } from "../core/results.ts";
import type { MigrationState } from "../core/states.ts";
import type { TableWrites, WritesMode } from "../core/table-writes.ts";

/** A command answer in the route's shape (migration_route.md), without `success`. */
export interface CommandResultJson {
  /** The service state. */
  status: MigrationState;
  /** Output lines (see CommandResult.output); `""` when there are none. */
  output: string;
  /** The error of a failed command; only in the failed states. */
  exception?: string;
}

/** The route's `stats.command`: the running or last command. */
export interface CommandJson {
  /** `migrate`, `finalize` or `reset`. */
  name: string;
  /** True while it runs. */
  running: boolean;
  /** The lease of the command (`host:pid:random.N`): the replica that runs or ran it. */
  runner: string | null;
  /** ISO 8601 start. */
  started_at: string | null;
  /** ISO 8601 end; null while it runs. */
  ended_at: string | null;
  /** Rows per second, or null. */
  rows_per_second: number | null;
  /** Seconds left while it runs, or null. */
  eta_seconds: number | null;
}

/** The route's `stats.writes[table]`: whether the application keeps writing the table while it migrates. */
export interface TableWritesJson {
  /** `captured` (writable, changes replayed) or `protected` (writes refused until finalize). */
  mode: WritesMode;
  /** Why, in one sentence. */
  reason: string;
  /** Changes the application wrote that are not in the shadow copy yet. */
  backlog: number;
  /** Changes replayed per second lately, or null. */
  replay_rate: number | null;
}

/** The route's `stats.throttle`: how the running migrate or finalize is held back. */
export interface ThrottleJson {
  /** True from a `pause` until a `resume`. */
  paused: boolean;
  /** Most rows per second its transforms move; 0 when there is no limit. */
  max_rows_per_second: number;
}

/** The route's `stats.migrations[]`: one registered (or once registered) migration. */
export interface MigrationJson {
  /** The NNNN index. */
  index: number;
  /** File name without extension. */
  name: string;
  /** Its state. */
  state: MigrationState;
  /** sha256 recorded when its state was last written (of the file now while it waits to migrate). */
  checksum: string;
  /** ISO 8601 start of its last migrate, or null. */
  started_at: string | null;
  /** ISO 8601 end of its last migrate, or null. */
  finished_at: string | null;
  /** ISO 8601 time it was finalized, or null. */
  finalized_at: string | null;
  /** Rows its last migrate moved into shadow copies. */
  rows_moved: number;
  /** True when its file differs from the one it ran with, or is gone. */
  file_changed: boolean;
  /** Milliseconds its finalize held the locks (first lock request to COMMIT), to 0.1 ms; absent before it was finalized, and for one finalized by an older release. */
  lock_window_ms?: number;
}

/** The route's `stats` object: the documented keys, plus `warnings`, `tables`, `command`, `writes`, `migrations` and, while a migrate or finalize runs, `throttle` (CONTRACT §4 allows extra keys inside stats). */
export interface StatsJson extends CommandResultJson {
  /** Highest finalized index. */
  current_migration_index: number;
  /** Highest registered index. */
  target_migration_index: number;
  /** Row progress of the pending migrations. */
  migratable_models: { count: number; migrated: number };
  /** Start-up warnings, e.g. a finalized migration whose file changed. */
  warnings: string[];
  /** Per table progress of the running or last command. */
  tables: Record<string, { count: number; migrated: number }>;
  /** The running or last command; null before the first one. */
  command: CommandJson | null;
  /** Per table of the migrations not finalized yet: captured or protected, and the replay backlog. */
  writes: Record<string, TableWritesJson>;
  /** The pause and limit of the running migrate or finalize; absent when none runs. */
  throttle?: ThrottleJson;
  /** Every registered (or once registered) migration, by ascending index. */
  migrations: MigrationJson[];
}

/** `{"success": true, "status", "output", "exception"?}`: the answer to migrate / finalize / reset / progress. */
export function commandBody(result: CommandResult): { success: true } & CommandResultJson {
  return { success: true, ...resultFields(result) };
}

/** `{"success": true, "stats": {…}}` with the documented snake_case keys, plus `warnings`, `tables`, `command`, `writes`, `migrations` and `throttle` (while a migrate or finalize runs) inside `stats`. */
export function statsBody(stats: Stats): { success: true; stats: StatsJson } {
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
      tables: Object.fromEntries(stats.tables.map((t) => [t.table, { count: t.count, migrated: t.migrated }])),
      command: stats.command === null ? null : commandJson(stats.command),
      writes: Object.fromEntries(stats.writes.map((w) => [w.table, writesJson(w)])),
      ...(stats.throttle !== undefined && { throttle: throttleJson(stats.throttle) }),
      migrations: stats.migrations.map(migrationJson),
    },
  };
}

/** The throttle in snake_case. */
function throttleJson(throttle: ThrottleState): ThrottleJson {
  return { paused: throttle.paused, max_rows_per_second: throttle.maxRowsPerSecond };
}

/** One migration in snake_case; times as ISO 8601. */
function migrationJson(info: MigrationInfo): MigrationJson {
  return {
    index: info.index,
    name: info.name,
    state: info.state,
    checksum: info.checksum,
    started_at: iso(info.startedAt),
    finished_at: iso(info.finishedAt),
    finalized_at: iso(info.finalizedAt),
    rows_moved: info.rowsMoved,
    file_changed: info.fileChanged,
    ...(info.lockWindowMs !== null && { lock_window_ms: tenths(info.lockWindowMs) }),
  };
}

/** Epoch ms as ISO 8601; null stays null. */
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The running or last command in snake_case; times as ISO 8601. */
function commandJson(command: CommandSummary): CommandJson {
  return {
    name: command.name,
    running: command.running,
    runner: command.runner,
    started_at: iso(command.startedAt),
    ended_at: iso(command.endedAt),
    rows_per_second: tenths(command.rowsPerSecond),
    eta_seconds: tenths(command.etaSeconds),
  };
}

/** One table's writes in snake_case, without the table (the key). */
function writesJson(writes: TableWrites): TableWritesJson {
  return { mode: writes.mode, reason: writes.reason, backlog: writes.backlog, replay_rate: tenths(writes.replayRate) };
}

/** Rounded to 0.1; null stays null. */
export function tenths(value: number): number;
/** Rounded to 0.1; null stays null. */
export function tenths(value: number | null): number | null;
export function tenths(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

/** `{"success": false, "message"}`: every request error. */
export function errorBody(message: string): { success: false; message: string } {
  return { success: false, message };
}

function resultFields(result: CommandResult): CommandResultJson {
  return {
    status: result.status,
    output: result.output,
    ...(result.exception !== undefined && { exception: result.exception }),
  };
}
