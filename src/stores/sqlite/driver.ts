import { resolve } from "node:path";
import { StartupError } from "../../core/errors.ts";
import type { StoreDriver } from "../store-driver.ts";
import { ensureDatabaseDirectory, openConnection } from "./connection.ts";
import { sqliteMigrationDb } from "./migration-db.ts";
import { moveRangeSqlite } from "./range-mover.ts";
import type { SqliteRangePlan } from "./range-plan.ts";
import { replayBatchSqlite, type SqliteReplayPlan } from "./replay.ts";
import { SqliteStore } from "./sqlite-store.ts";

/**
 * The file path of a `sqlite:PATH` URL (also `sqlite://PATH`, so `sqlite:///tmp/x.db` is `/tmp/x.db`),
 * resolved against `cwd`. An in-memory database is refused: every thread of the service opens the
 * database itself, and in-memory databases cannot be shared between connections.
 */
export function sqlitePathOf(url: string, cwd: string = process.cwd()): string {
  if (!/^sqlite:/i.test(url)) throw new StartupError("Not an SQLite database URL: use sqlite:PATH");
  let path = url.slice("sqlite:".length);
  if (path.startsWith("//")) path = path.slice(2);
  if (path === "") throw new StartupError("The SQLite database URL has no path: use sqlite:PATH, e.g. sqlite:./data/migrations.db");
  if (path === ":memory:" || path.startsWith("file::memory:")) {
    throw new StartupError("An in-memory SQLite database cannot be used: the service's threads each open the database, so give a file, e.g. sqlite:./data/migrations.db");
  }
  return resolve(cwd, path);
}

/** The embedded default: one SQLite file (and its `.shadow` file beside it). */
export const sqliteDriver: StoreDriver = {
  dialect: "sqlite",
  schemes: ["sqlite"],
  canonicalUrl: (url, cwd) => `sqlite:${sqlitePathOf(url, cwd)}`,
  checkLocation: (url, create) => ensureDatabaseDirectory(sqlitePathOf(url), create),
  createStore: (url, existing) => new SqliteStore(sqlitePathOf(url), existing),
  moveRange: (plan, range, map) => moveRangeSqlite(plan as SqliteRangePlan, range, map),
  replayBatch: (plan, map) => replayBatchSqlite(plan as SqliteReplayPlan, map),
  async openSingleDb(url) {
    const connection = openConnection(sqlitePathOf(url));
    const tables = connection.prepare<[], { name: string }>(`SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`);
    return {
      ...sqliteMigrationDb(connection, { verbose: false, log: () => {} }),
      tableNames: async () => tables.all().map(({ name }) => name),
      async close() {
        connection.close();
      },
    };
  },
};
