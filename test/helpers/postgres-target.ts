import { randomBytes } from "node:crypto";
import pg from "pg";
import { redactDatabaseUrl } from "../../src/config/database-url.ts";
import type { StoreTarget, TestDatabase } from "./store-targets.ts";

/** Maintenance database the tests create their databases from; `TEST_DATABASE_URL` overrides it. */
export const MAINTENANCE_URL = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh PostgreSQL database of one test, with direct access for setup and assertions. */
export interface PostgresTestDatabase extends TestDatabase {
  /** The database name, `mig_<random>`. */
  name: string;
  /** A new connected client on this database; the caller ends it. */
  connect(): Promise<pg.Client>;
}

/** `url` pointing at database `name` instead (same host, role, password and options). */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Runs `work` on a short-lived maintenance connection; an unreachable server is a clear, failing error. */
async function withMaintenance<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: MAINTENANCE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is unreachable at ${redactDatabaseUrl(MAINTENANCE_URL)} (${(error as Error).message}). The test suite needs it: ` +
        "start PostgreSQL on 127.0.0.1:5432, or set TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres " +
        "to a maintenance database whose role may CREATE DATABASE.",
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs `sql` on a new client of `url` and returns the rows of its last statement. */
async function runOnce(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
    return (Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? [];
  } finally {
    await client.end();
  }
}

/** Creates `mig_<random>` on the maintenance server and returns it; `drop()` removes it WITH (FORCE). */
export async function createPostgresDatabase(): Promise<PostgresTestDatabase> {
  const name = `mig_${randomBytes(6).toString("hex")}`;
  await withMaintenance((client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(MAINTENANCE_URL, name);
  return {
    name,
    url,
    query: (sql) => runOnce(url, sql),
    async exec(sql) {
      await runOnce(url, sql);
    },
    async connect() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    async drop() {
      await withMaintenance((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** The production store: a fresh PostgreSQL database per test on the `TEST_DATABASE_URL` server. */
export const postgresTarget: StoreTarget = { name: "postgres", create: createPostgresDatabase };
