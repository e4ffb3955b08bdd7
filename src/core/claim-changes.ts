import type { MigrationRecord, TableProtection } from "../stores/store.ts";
import type { RunCommand } from "./commands.ts";
import { protectionMessage } from "./protection-message.ts";
import { migrationsIn, type RegisteredMigration, type ServiceView } from "./service-view.ts";
import { MigrationState } from "./states.ts";

/**
 * What a claim of `command` changes besides the command row, decided on `view`: the records it moves
 * (migrate/finalize from migration_required → migration_running; finalize from finalization_required →
 * finalization_running) and the origin tables it write-protects from its first instant (every table of
 * the pending migrations, named after the first migration that lists it; reset protects nothing).
 */
export function claimChanges(command: RunCommand, view: ServiceView): { migrations: MigrationRecord[]; protect: TableProtection[] } {
  if (command === "reset") return { migrations: [], protect: [] };
  const pending = migrationsIn(view, MigrationState.MIGRATION_REQUIRED);
  if (pending.length === 0) {
    return { migrations: migrationsIn(view, MigrationState.FINALIZATION_REQUIRED).map((m) => record(m, MigrationState.FINALIZATION_RUNNING)), protect: [] };
  }
  const byTable = new Map<string, string>();
  for (const migration of pending) for (const table of migration.tables) if (!byTable.has(table)) byTable.set(table, migration.name);
  return {
    migrations: pending.map((m) => record(m, MigrationState.MIGRATION_RUNNING)),
    protect: [...byTable].map(([table, name]) => ({ table, message: protectionMessage(table, name, "migrate running") })),
  };
}

function record(migration: RegisteredMigration, state: MigrationState): MigrationRecord {
  return { index: migration.index, name: migration.name, checksum: migration.checksum, state };
}
