import type { ExecuteCommand, RunCommand } from "./commands.ts";
import type { MigrationInfo } from "./migration-list.ts";
import type { Plan } from "./plan.ts";
import type { MigrationState } from "./states.ts";
import type { TableWrites } from "./table-writes.ts";

/** The answer to migrate / finalize / reset / progress (migration_route.md, without `success`). */
export interface CommandResult {
  /** The service state reached. */
  status: MigrationState;
  /**
   * Output of the running (or last) command, `""` when there is none: in `stats` all of it; in a command
   * answer and `progress`, only the lines no earlier answer or `progress` returned (one read cursor, CONTRACT §4).
   */
  output: string;
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

/** One table's part of the row progress of the running or last command. */
export interface TableProgress {
  /** The table. */
  table: string;
  /** Rows it has to move (summed over the pending migrations that list it). */
  count: number;
  /** Rows of it moved so far. */
  migrated: number;
}

/** The running or last command as an operator sees it (extra stats keys, CONTRACT §4 allows them). */
export interface CommandSummary {
  /** `migrate`, `finalize` or `reset`. */
  name: RunCommand;
  /** True while it runs. */
  running: boolean;
  /** Replica id (`host:pid:random`) of the process that runs or ran it. */
  runner: string | null;
  /** Epoch ms when it started. */
  startedAt: number | null;
  /** Epoch ms when it ended; null while it runs. */
  endedAt: number | null;
  /** Rows moved per second since it started (or over its whole run once ended); null before any row moved. */
  rowsPerSecond: number | null;
  /** Seconds left at that rate while it runs; null when unknown or ended. */
  etaSeconds: number | null;
}

/** How the running migrate or finalize is held back: its pause and its limit, shared by every replica (the command row). */
export interface ThrottleState {
  /** True from a `pause` until a `resume`. */
  paused: boolean;
  /** Most rows per second its transforms move; 0 when there is no limit. */
  maxRowsPerSecond: number;
}

/** What a request may add to its command: the rows-per-second limit of `migrate`, `finalize` and `resume`; who sends `cancel`. */
export interface CommandOptions {
  /** The limit to run with (0: none); unset: `migrate`/`finalize` take the service's default, `resume` keeps the current one. */
  maxRowsPerSecond?: number;
  /** Who cancels, for the exception `cancelled by <by>` (the faces fill in the client's address); unset: `unknown`. */
  by?: string;
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
  /** Per table progress of the running or last command, in the order the run moves them. */
  tables: TableProgress[];
  /** The running or last command; null before the first one. */
  command: CommandSummary | null;
  /** Per table of the migrations not finalized yet: whether the application keeps writing it, and the replay backlog. */
  writes: TableWrites[];
  /** The pause and limit of the running migrate or finalize; absent when none runs. */
  throttle?: ThrottleState;
  /** Every registered (or once registered) migration, by ascending index. */
  migrations: MigrationInfo[];
}

/** The application face both the JSON route and the Connect service call: one behaviour, two faces. */
export interface MigrationApi {
  /**
   * Runs `migrate`, `finalize`, `reset` per CONTRACT §3, answers a legacy `progress` poll, or pauses / resumes /
   * cancels the running migrate (answering the whole output, moving no read cursor). Throws ConflictError when the state does not allow it.
   */
  execute(command: ExecuteCommand, verbose: boolean, options?: CommandOptions): Promise<CommandResult>;
  /** Where things stand; never throws a conflict. */
  stats(): Promise<Stats>;
  /** What `migrate` would do now, in any state; changes nothing (no claim, no output, no protection, no shadow). */
  plan(): Promise<Plan>;
}
