import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { BenchDatabase, BenchStore } from "./bench-database.ts";
import { onCleanup } from "./cleanup.ts";
import { TABLE, type SpotRow } from "./items-data.ts";
import { now } from "./timing.ts";

const CREATE = `CREATE TABLE ${TABLE} (
  id bigint PRIMARY KEY, name text NOT NULL, email text, amount numeric(12,2), created_at timestamptz, active boolean)`;

const GENERATE = `
INSERT INTO ${TABLE} (id, name, email, amount, created_at, active)
SELECT i, 'item-' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || i || '@example.com' END,
       (i % 100000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 3 <> 0
FROM generate_series(1, $1::bigint) AS i`;

const COLUMNS = `
SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
       || ' pk:' || (SELECT count(*) FROM pg_index WHERE indrelid = '${TABLE}'::regclass AND indisprimary) AS columns
FROM pg_attribute a WHERE a.attrelid = '${TABLE}'::regclass AND a.attnum > 0 AND NOT a.attisdropped`;

/** `url` pointing at database `name` instead (same host, role, password and options). */
function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL is unreachable at ${redacted(url)}: ${(error as Error).message} (set --database-url or TEST_DATABASE_URL)`, {
      cause: error,
    });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function one(client: pg.Client, sql: string, params: unknown[] = []): Promise<Record<string, unknown>> {
  const { rows } = await client.query(sql, params);
  if (rows[0] === undefined) throw new Error(`no row from ${sql}`);
  return rows[0] as Record<string, unknown>;
}

async function createDatabase(maintenanceUrl: string, rows: number): Promise<BenchDatabase> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const scratchDir = await mkdtemp(join(tmpdir(), `${name}-`));
  const removeScratch = onCleanup(() => rm(scratchDir, { recursive: true, force: true }));
  await withClient(maintenanceUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(maintenanceUrl, name);
  const drop = onCleanup(async () => {
    try {
      await withClient(maintenanceUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    } finally {
      await removeScratch();
    }
  });
  try {
    await withClient(url, async (client) => {
      await client.query(CREATE);
      await client.query(GENERATE, [rows]);
      // Hint bits, visibility map and statistics now, so that no scenario pays for them.
      await client.query(`VACUUM (ANALYZE) ${TABLE}`);
      await client.query("CHECKPOINT").catch(() => undefined);
    });
  } catch (error) {
    await drop();
    throw error;
  }
  const row = (changed: boolean) =>
    changed ? "ROW(id, upper(name), email, (amount * 2)::numeric(12,2), created_at, active)" : "ROW(id, name, email, amount, created_at, active)";
  return {
    store: "postgres",
    serviceUrl: url,
    scratchDir,
    count: () => withClient(url, async (client) => Number((await one(client, `SELECT COUNT(*) AS n FROM ${TABLE}`)).n)),
    fingerprint: (changed) =>
      withClient(url, async (client) => {
        const { columns } = await one(client, COLUMNS);
        const sql = `SELECT COUNT(*) AS n, COALESCE(SUM(hashtextextended(${row(changed)}::text, 0)), 0) AS h FROM ${TABLE}`;
        const { n, h } = await one(client, sql);
        return `${String(columns)} ${String(n)} ${String(h)}`;
      }),
    spotRows: (ids) =>
      withClient(url, async (client) => {
        const { rows: found } = await client.query(`SELECT id, name, amount FROM ${TABLE} WHERE id = ANY($1::bigint[])`, [ids]);
        return (found as Record<string, unknown>[]).map(
          (r): SpotRow => ({ id: Number(r.id), name: String(r.name), amount: Number(r.amount) }),
        );
      }),
    timeNativeCopy: () =>
      withClient(url, async (client) => {
        await client.query(`CREATE TABLE ${TABLE}_copy (LIKE ${TABLE} INCLUDING ALL)`);
        const started = now();
        const { rowCount } = await client.query(`INSERT INTO ${TABLE}_copy SELECT * FROM ${TABLE}`);
        const ms = now() - started;
        if (rowCount !== rows) throw new Error(`INSERT INTO ${TABLE}_copy copied ${rowCount} rows, expected ${rows}`);
        await client.query(`DROP TABLE ${TABLE}_copy`);
        return ms;
      }),
    drop,
  };
}

/** Fresh databases `bench_<random>` on the server of `maintenanceUrl`, filled by generate_series. */
export function postgresStore(maintenanceUrl: string): BenchStore {
  return {
    name: "postgres",
    create: (rows) => createDatabase(maintenanceUrl, rows),
    version: () => withClient(maintenanceUrl, async (client) => `PostgreSQL ${String((await one(client, "SHOW server_version")).server_version)}`),
  };
}
