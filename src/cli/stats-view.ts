import type { MigrationState as ProtoState, StatsResponse } from "../gen/migrations/v1/migrations_pb.ts";
import type { MigrationState } from "../core/states.ts";
import { statsBody } from "../server/json-results.ts";
import { fromCommandFields, fromStatsResponse } from "../server/proto-stats.ts";

/** A command answer as the CLI prints it: the route's shape (migration_route.md). */
export interface CommandView {
  /** The service state. */
  status: MigrationState;
  /** Full output of the running or last command, when any. */
  output?: string;
  /** The error of a failed command. */
  exception?: string;
}

/** The `stats` answer in the route's snake_case shape, plus the start-up warnings. */
export interface StatsView extends CommandView {
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
  /** The running or last command, as the route shows it; null before the first one. */
  command: CommandJson | null;
}

/** The route's `stats.command`. */
export interface CommandJson {
  /** `migrate`, `finalize` or `reset`. */
  name: string;
  /** True while it runs. */
  running: boolean;
  /** Replica id of the process that runs or ran it. */
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

/** Converts a Migrate/Finalize/Reset response to the route's shape. */
export function commandView(response: { status: ProtoState; output?: string; exception?: string }): CommandView {
  return fromCommandFields(response);
}

/** Converts a StatsResponse to the route's `stats` object, through the same code that writes the route's JSON. */
export function statsView(response: StatsResponse): StatsView {
  return (statsBody(fromStatsResponse(response)) as unknown as { stats: StatsView }).stats;
}
