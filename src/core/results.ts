import type { MigrationState } from "./states.ts";

/** The answer to migrate / finalize / reset / progress (migration_route.md, without `success`). */
export interface CommandResult {
  /** The service state reached. */
  status: MigrationState;
  /** Full output of the running (or last) command; for `progress` only the unseen lines. Absent when empty. */
  output?: string;
  /** Error text; present only in the failed states. */
  exception?: string;
}

/** Progress of the rows the pending migrations move through their shadow copies. */
export interface MigratableModels {
  /** Rows to move; 0 when nothing is pending. */
  count: number;
  /** Rows moved; never decreases in a run and equals count at finalization_required. */
  migrated: number;
}

/** The answer to `stats` (the documented keys, camelCased; the server renames them). */
export interface Stats extends CommandResult {
  /** Highest finalized index, 0 when none. */
  currentMigrationIndex: number;
  /** Highest registered index, 0 when none. */
  targetMigrationIndex: number;
  /** Row progress. */
  migratableModels: MigratableModels;
  /** Start-up warnings, e.g. a finalized migration whose file changed since. */
  warnings: string[];
}

/** The application face both the JSON route and the Connect service call: one behaviour, two faces. */
export interface MigrationApi {
  /** Runs `migrate`, `finalize`, `reset` per CONTRACT §3, or answers a legacy `progress` poll. Throws ServiceError subclasses. */
  execute(command: "migrate" | "finalize" | "reset" | "progress", verbose: boolean): Promise<CommandResult>;
  /** Where things stand; never throws a conflict. */
  stats(): Promise<Stats>;
}
