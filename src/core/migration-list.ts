import { fileChanged, type RegisteredMigration } from "./service-view.ts";
import type { StoredMigration } from "./state-store.ts";
import { MigrationState } from "./states.ts";

/** One registered (or once registered) migration, as `migrations list` and `stats.migrations` show it. */
export interface MigrationInfo {
  /** The NNNN index. */
  index: number;
  /** File name without extension. */
  name: string;
  /** Its state; `migration_required` for a file that never ran. */
  state: MigrationState;
  /** sha256 recorded when its state was last written; of the file now while it waits to migrate. */
  checksum: string;
  /** Epoch ms when its last migrate started, or null. */
  startedAt: number | null;
  /** Epoch ms when its last migrate finished, or null. */
  finishedAt: number | null;
  /** Epoch ms when it was finalized, or null. */
  finalizedAt: number | null;
  /** Rows its last migrate moved into shadow copies. */
  rowsMoved: number;
  /** Milliseconds its finalize held the locks (first lock request to COMMIT), or null: not finalized, or by an older release. */
  lockWindowMs: number | null;
  /** True when its file differs from the one it ran with, or is gone. */
  fileChanged: boolean;
}

/**
 * Every registered migration and every recorded one whose file is gone, by ascending index. A migration
 * waiting to migrate (no record, or reset) runs the file as it is now, so only a record of a run can
 * differ from its file.
 */
export function migrationList(registry: readonly RegisteredMigration[], records: readonly StoredMigration[]): MigrationInfo[] {
  const files = new Map(registry.map((m) => [m.index, m]));
  const recorded = new Map(records.map((r) => [r.index, r]));
  const indexes = [...new Set([...files.keys(), ...recorded.keys()])].sort((a, b) => a - b);
  return indexes.map((index) => {
    const file = files.get(index);
    const record = recorded.get(index);
    if (record === undefined || (file !== undefined && record.state === MigrationState.MIGRATION_REQUIRED)) {
      return { ...neverRun(file!), ...(record && { startedAt: record.startedAt, finishedAt: record.finishedAt, rowsMoved: record.rowsMoved }) };
    }
    return {
      index, name: record.name, state: record.state, checksum: record.checksum,
      startedAt: record.startedAt, finishedAt: record.finishedAt, finalizedAt: record.finalizedAt, rowsMoved: record.rowsMoved,
      lockWindowMs: record.lockWindowMs, fileChanged: fileChanged(file, record),
    };
  });
}

function neverRun(file: RegisteredMigration): MigrationInfo {
  return {
    index: file.index, name: file.name, state: MigrationState.MIGRATION_REQUIRED, checksum: file.checksum,
    startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null, fileChanged: false,
  };
}
