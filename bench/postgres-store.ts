import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchDatabase, BenchStore } from "./bench-database.ts";
import { onCleanup } from "./cleanup.ts";
import { TABLE, type SpotRow } from "./items-data.ts";
import { databaseUrl, one, withClient } from "./postgres-client.ts";
import { timePostgresReference } from "./postgres-references.ts";
import { columnsOf, OWNER_ROWS, SECONDARY_INDEXES, tablesOf, UNRELATED_TABLE, WIDE_BODY_CHARS, type TableShape } from "./table-shapes.ts";

const EXTRA_COLUMNS: Partial<Record<TableShape, string>> = { indexed: ", owner_id bigint NOT NULL", wide: ", body text NOT NULL, doc json NOT NULL" };
const EXTRA_VALUES: Partial<Record<TableShape, string>> = {
  indexed: `, i % ${OWNER_ROWS} + 1`,
  // A text of WIDE_BODY_CHARS characters, and a json document written as JSON.stringify writes it (json keeps its text).
  wide: `, left('row ' || i || ' ' || repeat('0', ${WIDE_BODY_CHARS}), ${WIDE_BODY_CHARS}), ('{"id":' || i || ',"tags":["a","b"],"note":"item-' || i || '"}')::json`,
};

const create = (shape: TableShape, table: string) => `CREATE TABLE ${table} (
  id bigint PRIMARY KEY, name text NOT NULL, email text, amount numeric(12,2), created_at timestamptz, active boolean${EXTRA_COLUMNS[shape] ?? ""})`;

const generate = (shape: TableShape, table: string) => `
INSERT INTO ${table} (${columnsOf(shape).join(", ")})
SELECT i, 'item-' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || i || '@example.com' END,
       (i % 100000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 3 <> 0${EXTRA_VALUES[shape] ?? ""}
FROM generate_series(1, $1::bigint) AS i`;

/** The indexed shape's owners table, foreign key and indexes, created after the rows (as a restore would). */
const INDEXED_EXTRAS = [
  `CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL)`,
  `INSERT INTO owners SELECT i, 'owner-' || i FROM generate_series(1, ${OWNER_ROWS}) AS i`,
  `ALTER TABLE ${TABLE} ADD CONSTRAINT items_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners (id)`,
  ...SECONDARY_INDEXES.map(([name, unique, column]) => `CREATE ${unique ? "UNIQUE " : ""}INDEX ${name} ON ${TABLE} (${column})`),
];

const columnsSql = (table: string) => `
SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
       || ' pk:' || (SELECT count(*) FROM pg_index WHERE indrelid = '${table}'::regclass AND indisprimary) AS columns
FROM pg_attribute a WHERE a.attrelid = '${table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped`;

/** A row of `items` as one value, as it is or after the bench's change. */
function rowSql(shape: TableShape, changed: boolean): string {
  const changes: Record<string, string> = changed ? { name: "upper(name)", amount: "(amount * 2)::numeric(12,2)" } : {};
  return `ROW(${columnsOf(shape).map((column) => changes[column] ?? column).join(", ")})`;
}

async function createDatabase(maintenanceUrl: string, prefix: string, rows: number, shape: TableShape): Promise<BenchDatabase> {
  const name = `${prefix}${randomBytes(6).toString("hex")}`;
  const scratchDir = await mkdtemp(join(tmpdir(), `${name}-`));
  const removeScratch = onCleanup(() => rm(scratchDir, { recursive: true, force: true }));
  await withClient(maintenanceUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(maintenanceUrl, name);
  const tables = tablesOf(shape);
  const drop = onCleanup(async () => {
    try {
      await withClient(maintenanceUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    } finally {
      await removeScratch();
    }
  });
  // Hint bits, visibility map and statistics now, so that no measurement pays for them.
  const settle = () =>
    withClient(url, async (client) => {
      await client.query(`VACUUM (ANALYZE) ${tables.join(", ")}`);
      await client.query("CHECKPOINT").catch(() => undefined);
    });
  try {
    await withClient(url, async (client) => {
      await client.query(`CREATE TABLE ${UNRELATED_TABLE} (id bigserial PRIMARY KEY, at timestamptz NOT NULL)`);
      for (const table of tables) {
        await client.query(create(shape, table));
        await client.query(generate(shape, table), [rows / tables.length]);
      }
      if (shape === "indexed") for (const sql of INDEXED_EXTRAS) await client.query(sql);
    });
    await settle();
  } catch (error) {
    await drop();
    throw error;
  }
  const fingerprint = (changed: boolean, table?: string) =>
    withClient(url, async (client) => {
      const parts: string[] = [];
      for (const name of table === undefined ? tables : [table]) {
        const { columns } = await one(client, columnsSql(name));
        const sql = `SELECT COUNT(*) AS n, COALESCE(SUM(hashtextextended(${rowSql(shape, changed)}::text, 0)), 0) AS h FROM ${name}`;
        const { n, h } = await one(client, sql);
        parts.push(`${String(columns)} ${String(n)} ${String(h)}`);
      }
      return parts.join(" | ");
    });
  return {
    store: "postgres",
    serviceUrl: url,
    scratchDir,
    tables,
    count: () =>
      withClient(url, async (client) => {
        let sum = 0;
        for (const table of tables) sum += Number((await one(client, `SELECT COUNT(*) AS n FROM ${table}`)).n);
        return sum;
      }),
    fingerprint,
    spotRows: (ids) =>
      withClient(url, async (client) => {
        const { rows: found } = await client.query(`SELECT id, name, amount FROM ${tables[0]} WHERE id = ANY($1::bigint[])`, [ids]);
        return (found as Record<string, unknown>[]).map(
          (r): SpotRow => ({ id: Number(r.id), name: String(r.name), amount: Number(r.amount) }),
        );
      }),
    timeReference: (kind) => timePostgresReference(kind, { url, rows, fingerprint }),
    settle,
    drop,
  };
}

/** Fresh databases `<prefix><random>` on the server of `maintenanceUrl`, filled by generate_series. */
export function postgresStore(maintenanceUrl: string, prefix: string): BenchStore {
  return {
    name: "postgres",
    create: (rows, shape = "plain") => createDatabase(maintenanceUrl, prefix, rows, shape),
    version: () => withClient(maintenanceUrl, async (client) => `PostgreSQL ${String((await one(client, "SHOW server_version")).server_version)}`),
  };
}
