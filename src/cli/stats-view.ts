import type { MigrationState as ProtoState, StatsResponse } from "../gen/migrations/v1/migrations_pb.ts";
import type { MigrationState } from "../core/states.ts";
import { fromProtoState } from "../server/proto-state.ts";

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
}

/** Converts a Migrate/Finalize/Reset response to the route's shape. */
export function commandView(response: { status: ProtoState; output?: string; exception?: string }): CommandView {
  return {
    status: fromProtoState(response.status),
    ...(response.output ? { output: response.output } : {}),
    ...(response.exception ? { exception: response.exception } : {}),
  };
}

/** Converts a StatsResponse to the route's shape (int64 counts become numbers). */
export function statsView(response: StatsResponse): StatsView {
  return {
    ...commandView(response),
    current_migration_index: response.currentMigrationIndex,
    target_migration_index: response.targetMigrationIndex,
    migratable_models: {
      count: Number(response.migratableModels?.count ?? 0n),
      migrated: Number(response.migratableModels?.migrated ?? 0n),
    },
    warnings: [...response.warnings],
  };
}
