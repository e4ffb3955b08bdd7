import { claimChanges } from "../../src/core/claim-changes.ts";
import { deriveView, registeredMigration, type RegisteredMigration } from "../../src/core/service-view.ts";
import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunCommand } from "../../src/core/commands.ts";
import { runCommand } from "../../src/engine/run-command.ts";
import type { CommandOutcome } from "../../src/engine/types.ts";
import { loadMigrations } from "../../src/migrations/loader.ts";
import type { LoadedMigration } from "../../src/migrations/types.ts";
import type { CommandTask } from "../../src/engine/messages.ts";
import { createTransformPool } from "../../src/runner/transform-pool.ts";
import { openStore } from "../../src/stores/open-store.ts";
import type { Store } from "../../src/stores/store.ts";
import type { Snapshot } from "../../src/core/state-store.ts";

/** A fresh temp directory; remove it with `rmSync(dir, { recursive: true })`. */
export function makeTempDir(prefix = "mig-engine-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** What one engine run returned, with the state afterwards. */
export interface EngineRun extends CommandOutcome {
  /** Snapshot after the command. */
  snapshot: Snapshot;
  /** The output lines the engine's listener heard. */
  heard: string[];
}

/**
 * A SQLite database and a migrations directory in a temp dir, with a real store, a real transform pool
 * and the claim the manager would make, so tests drive `runCommand` in-process.
 */
export class EngineFixture {
  /** The temp directory. */
  readonly dir = makeTempDir();
  /** Where migration files go (a `"type": "module"` package, like a project). */
  readonly migrationsDir = join(this.dir, "migrations");
  /** The database file. */
  readonly dbPath = join(this.dir, "app.db");
  /** Direct connection to the origin, as the application would have. */
  readonly origin: Database.Database;
  private store: Store | null = null;

  /** Creates the database with `schema` (SQL script). */
  constructor(schema = "") {
    mkdirSync(this.migrationsDir, { recursive: true });
    writeFileSync(join(this.migrationsDir, "package.json"), '{ "type": "module" }\n');
    this.origin = new Database(this.dbPath);
    this.origin.pragma("journal_mode = WAL");
    this.origin.pragma("busy_timeout = 5000");
    if (schema) this.origin.exec(schema);
  }

  /** The `sqlite:` URL of the database. */
  get url(): string {
    return `sqlite:${this.dbPath}`;
  }

  /** Writes a migration file. */
  write(file: string, source: string): void {
    writeFileSync(join(this.migrationsDir, file), source);
  }

  /** The store, opened once. */
  async openStore(): Promise<Store> {
    this.store ??= await openStore(this.url);
    return this.store;
  }

  /** Rows of a query on the origin connection. */
  rows(sql: string, ...params: unknown[]): Record<string, unknown>[] {
    return this.origin.prepare(sql).all(...params) as Record<string, unknown>[];
  }

  /** Claims `command` like the manager does, then runs it in-process with a real transform pool. */
  async run(command: RunCommand, options: { verbose?: boolean; workers?: number; batchRows?: number; rangeBytes?: number } = {}): Promise<EngineRun> {
    const store = await this.openStore();
    const migrations = await loadMigrations(this.migrationsDir);
    const refs = migrations.map(({ index, name, path, checksum }) => ({ index, name, path, checksum }));
    const owner = `test-host:${process.pid}:${Math.random().toString(36).slice(2)}`;
    const before = await store.snapshot();
    const claimed = await store.claimCommand({
      command,
      owner,
      verbose: options.verbose ?? false,
      count: 0,
      version: before.command.version,
      ...claimChanges(command, deriveView(registryOf(migrations), before)),
    });
    if (!claimed) throw new Error("a command is already running");
    const task: CommandTask = {
      command,
      verbose: options.verbose ?? false,
      owner,
      databaseUrl: this.url,
      migrations: refs,
      transformWorkers: options.workers ?? 2, maxFinalizeBacklog: 1000,
    };
    const heard: string[] = [];
    const transformer = createTransformPool(task.transformWorkers);
    try {
      const outcome = await runCommand(task, { store, transformer, onOutput: (text) => heard.push(text), batchRows: options.batchRows, rangeBytes: options.rangeBytes });
      return { ...outcome, snapshot: await store.snapshot(), heard };
    } finally {
      await transformer.close();
    }
  }

  /** Every table, index and trigger definition of the origin except our bookkeeping, sorted. */
  schema(): string[] {
    return (this.rows("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE '\\_migration\\_%' ESCAPE '\\' ORDER BY type, name") as {
      type: string;
      name: string;
      sql: string | null;
    }[]).map((r) => `${r.type} ${r.name}: ${r.sql}`);
  }

  /** Closes everything and removes the temp dir. */
  async dispose(): Promise<void> {
    await this.store?.close();
    this.origin.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The records the manager's claim writes (CONTRACT §3): pending → running, or migrated → finalization_running. */

/** The registry the manager would build from loaded migration files. */
export function registryOf(migrations: readonly LoadedMigration[]): RegisteredMigration[] {
  return migrations.map(registeredMigration);
}
