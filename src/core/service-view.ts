import type { LoadedMigration } from "../migrations/types.ts";
import { type WriteTraits, writeTraitsOf } from "../migrations/write-traits.ts";
import type { MigrationRecord, Snapshot } from "./state-store.ts";
import { MigrationState, isRunningState, serviceState } from "./states.ts";

/** A registered migration as the core sees it: no code, just identity and the tables it touches. */
export interface RegisteredMigration {
  /** The NNNN index. */
  index: number;
  /** File name without extension. */
  name: string;
  /** sha256 of the file. */
  checksum: string;
  /** Tables it changes or creates. */
  tables: readonly string[];
  /** What it does to them: decides whether they stay writable while they migrate. */
  traits: WriteTraits;
}

/** The registry entry of a loaded migration file. */
export function registeredMigration({ index, name, checksum, migration }: LoadedMigration): RegisteredMigration {
  return { index, name, checksum, tables: migration.tables, traits: writeTraitsOf(migration) };
}

/** The service as derived from the registry and one snapshot. */
export interface ServiceView {
  /** Service state by CONTRACT §2 priority; `migration_running` while a command that moves no records runs. */
  status: MigrationState;
  /** Highest finalized index in the database (also of files no longer registered). */
  current: number;
  /** Highest registered index. */
  target: number;
  /** Registered migrations with their state, ascending. */
  registered: { migration: RegisteredMigration; state: MigrationState }[];
  /** Warnings: finalized migrations whose file changed since. */
  warnings: string[];
}

/** Derives status, indexes and warnings; a registered migration without a record is `migration_required`. */
export function deriveView(registry: readonly RegisteredMigration[], snapshot: Snapshot): ServiceView {
  const records = new Map<number, MigrationRecord>(snapshot.migrations.map((r) => [r.index, r]));
  const registered = registry.map((migration) => ({
    migration,
    state: records.get(migration.index)?.state ?? MigrationState.MIGRATION_REQUIRED,
  }));
  const finalized = snapshot.migrations.filter((r) => r.state === MigrationState.FINALIZED);
  const warnings = finalized.flatMap((record) => {
    const file = registry.find((m) => m.index === record.index);
    return file && fileChanged(file, record)
      ? [`Migration ${file.name} is finalized, but its file changed since; the change is not applied.`]
      : [];
  });
  const recorded = serviceState(registered.map((r) => r.state));
  return {
    // A command that moves no records (reset) still runs: CONTRACT §3 answers `migration_running` then.
    status: snapshot.command.running && !isRunningState(recorded) ? MigrationState.MIGRATION_RUNNING : recorded,
    current: Math.max(0, ...finalized.map((r) => r.index)),
    target: Math.max(0, ...registry.map((m) => m.index)),
    registered,
    warnings,
  };
}

/** Whether a migration's file (undefined: gone) is no longer the one whose checksum its record holds. */
export function fileChanged(file: RegisteredMigration | undefined, record: MigrationRecord): boolean {
  return file === undefined || file.checksum !== record.checksum;
}

/** Registered migrations in the given states, ascending. */
export function migrationsIn(view: ServiceView, ...states: MigrationState[]): RegisteredMigration[] {
  return view.registered.filter((r) => states.includes(r.state)).map((r) => r.migration);
}
