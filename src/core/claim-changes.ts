import type { MigrationRecord, TableProtection } from "./state-store.ts";
import type { RunCommand } from "./commands.ts";
import { protectionMessage } from "./protection-message.ts";
import { planTableWrites } from "./table-writes.ts";
import { migrationsIn, type RegisteredMigration, type ServiceView } from "./service-view.ts";
import { MigrationState } from "./states.ts";

/** The first line of a run that migrates (`migrate`, or `finalize` from migration_required), as the anchor writes it. */
export const MIGRATION_STARTED = "migration started\n";
/** The first line of finalizing, at the start of `finalize` or after its migrate part. */
export const FINALIZATION_STARTED = "finalization started\n";
/** The first line of `reset`. */
export const RESET_STARTED = "reset started\n";

/**
 * What a claim of `command` changes besides the command row, decided on `view`: the records it moves
 * (migrate/finalize from migration_required → migration_running; finalize from finalization_required →
 * finalization_running) and the origin tables it write-protects from its first instant (every table of
 * the pending migrations, named after the first migration that lists it; reset protects nothing), and the
 * first output line, written with the claim so that even an answer sent before the worker started carries it.
 */
export function claimChanges(command: RunCommand, view: ServiceView): { migrations: MigrationRecord[]; protect: TableProtection[]; output: string } {
  if (command === "reset") return { migrations: [], protect: [], output: RESET_STARTED };
  const pending = migrationsIn(view, MigrationState.MIGRATION_REQUIRED);
  if (pending.length === 0) {
    const migrations = migrationsIn(view, MigrationState.FINALIZATION_REQUIRED).map((m) => record(m, MigrationState.FINALIZATION_RUNNING));
    return { migrations, protect: [], output: FINALIZATION_STARTED };
  }
  const byTable = new Map<string, string>();
  for (const migration of pending) for (const table of migration.tables) if (!byTable.has(table)) byTable.set(table, migration.name);
  const modes = new Map(planTableWrites(shadowChain(view)).map((plan) => [plan.table, plan.mode]));
  return {
    migrations: pending.map((m) => record(m, MigrationState.MIGRATION_RUNNING)),
    protect: [...byTable].map(([table, name]) => ({
      table,
      message: protectionMessage(table, name, "migrate running"),
      capture: modes.get(table) === "captured",
    })),
    output: MIGRATION_STARTED,
  };
}

/**
 * The migrations whose work the shadow copies hold or will hold once the pending ones ran: every one not
 * finalized, ascending. Their tables' writes are decided over this chain.
 */
export function shadowChain(view: ServiceView): RegisteredMigration[] {
  return view.registered.filter((r) => r.state !== MigrationState.FINALIZED).map((r) => r.migration);
}

function record(migration: RegisteredMigration, state: MigrationState): MigrationRecord {
  return { index: migration.index, name: migration.name, checksum: migration.checksum, state };
}
