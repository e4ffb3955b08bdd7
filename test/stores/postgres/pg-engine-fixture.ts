import { claimChanges } from "../../../src/core/claim-changes.ts";
import { deriveView } from "../../../src/core/service-view.ts";
import { claimOn } from "../../helpers/claim.ts";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import type { RunCommand } from "../../../src/core/commands.ts";
import { runCommand } from "../../../src/engine/run-command.ts";
import type { CommandOutcome } from "../../../src/engine/types.ts";
import { loadMigrations } from "../../../src/migrations/loader.ts";
import type { CommandTask } from "../../../src/engine/messages.ts";
import { createTransformPool } from "../../../src/runner/transform-pool.ts";
import { PostgresStore, type PostgresStoreOptions } from "../../../src/stores/postgres/postgres-store.ts";
import type { Snapshot } from "../../../src/core/state-store.ts";
import { makeTempDir, registryOf } from "../../helpers/migration-fixtures.ts";
import { createPostgresDatabase, type PostgresTestDatabase } from "../../helpers/postgres-target.ts";

/** What one engine run returned, with the state afterwards. */
export interface PgRun extends CommandOutcome {
  /** Snapshot after the command. */
  snapshot: Snapshot;
}

/**
 * A fresh PostgreSQL database (`mig_<random>`, dropped WITH (FORCE) by `dispose`), a migrations
 * directory and a real PostgresStore; `run` claims like the manager, runs the engine in-process and releases.
 */
export class PgEngineFixture {
  /** Migration files go here. */
  readonly dir = makeTempDir("mig-pg-engine-");
  private stores: PostgresStore[] = [];
  private clients: pg.Client[] = [];

  private constructor(
    /** The test database. */
    readonly db: PostgresTestDatabase,
    /** Direct connection for setup and assertions. */
    readonly sql: pg.Client,
  ) {
    mkdirSync(join(this.dir, "migrations"), { recursive: true });
    writeFileSync(join(this.dir, "migrations", "package.json"), '{ "type": "module" }\n');
  }

  /** Creates the database and runs `schema` on it. */
  static async create(schema = ""): Promise<PgEngineFixture> {
    const db = await createPostgresDatabase();
    const sql = await db.connect();
    const fx = new PgEngineFixture(db, sql);
    fx.clients.push(sql);
    if (schema) await sql.query(schema);
    return fx;
  }

  /** A new connected client of the test database, ended by `dispose`. */
  async connect(): Promise<pg.Client> {
    const client = await this.db.connect();
    this.clients.push(client);
    return client;
  }

  /** Opens another store instance on the database (closed by `dispose`). */
  async openStore(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(this.db.url, options);
    this.stores.push(store);
    await store.init();
    return store;
  }

  /** Writes a migration file. */
  write(file: string, source: string): void {
    writeFileSync(join(this.dir, "migrations", file), source);
  }

  /** Rows of a query on the direct connection. */
  async rows(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return (await this.sql.query(text, params)).rows;
  }

  /** Claims `command` like the manager, runs it with a real transform pool (ranges of `batchRows` rows, default 7), then releases the run lock. */
  async run(command: RunCommand, store: PostgresStore, options: { verbose?: boolean; batchRows?: number; rangeBytes?: number } = {}): Promise<PgRun> {
    const migrations = await loadMigrations(join(this.dir, "migrations"));
    const refs = migrations.map(({ index, name, path, checksum }) => ({ index, name, path, checksum }));
    const owner = `test-host:${process.pid}:${Math.random().toString(36).slice(2)}`;
    const view = deriveView(registryOf(migrations), await store.snapshot());
    if (!(await claimOn(store, owner, { command, verbose: options.verbose ?? false, ...claimChanges(command, view) }))) {
      throw new Error("a command is already running");
    }
    const task: CommandTask = { command, verbose: options.verbose ?? false, owner, databaseUrl: this.db.url, migrations: refs, transformWorkers: 2, maxFinalizeBacklog: 1000 };
    const transformer = createTransformPool(2);
    try {
      const outcome = await runCommand(task, { store, transformer, batchRows: options.batchRows ?? 7, rangeBytes: options.rangeBytes });
      return { ...outcome, snapshot: await store.snapshot() };
    } finally {
      await transformer.close();
      await store.releaseRunLock(owner);
    }
  }

  /** Closes stores and clients, drops the database, removes the directory. */
  async dispose(): Promise<void> {
    for (const store of this.stores) await store.close().catch(() => {});
    for (const client of this.clients) await client.end().catch(() => {});
    await this.db.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The SQLSTATE and message a statement failed with (shared with the service-level tests). */
export { pgFailure as failure } from "../../helpers/pg-service.ts";
