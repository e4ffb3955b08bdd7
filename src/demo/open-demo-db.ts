import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { parseDatabaseUrl } from "../config/database-url.ts";
import type { MigrationDb, Row } from "../migrations/types.ts";

/** A MigrationDb on one connection of its own, for seeding the demo before the service starts. */
export interface DemoDb extends MigrationDb {
  /** Closes the connection. */
  close(): Promise<void>;
}

/** Opens an SQLite file (creating its directory) as a DemoDb. */
function openSqlite(path: string): DemoDb {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  return {
    dialect: "sqlite",
    verbose: false,
    async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const statement = sqlite.prepare(sql);
      if (statement.reader) return statement.all(...params) as R[];
      statement.run(...params);
      return [];
    },
    async exec(sql: string) {
      sqlite.exec(sql);
    },
    log() {},
    async close() {
      sqlite.close();
    },
  };
}

/** Connects one PostgreSQL client as a DemoDb. */
async function openPostgres(connectionString: string): Promise<DemoDb> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  return {
    dialect: "postgres",
    verbose: false,
    async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      return (await client.query(sql, [...params])).rows as R[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    log() {},
    async close() {
      await client.end();
    },
  };
}

/** Opens the database of a `sqlite:` or `postgres://` URL on a single connection, for seedDemo. */
export async function openDemoDb(databaseUrl: string): Promise<DemoDb> {
  const target = parseDatabaseUrl(databaseUrl);
  return target.dialect === "sqlite" ? openSqlite(target.path) : openPostgres(target.connectionString);
}
