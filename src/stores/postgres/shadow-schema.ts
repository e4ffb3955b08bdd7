import type { TableLocation } from "../store.ts";
import type { PoolClient } from "./pg-pool.ts";
import { qualify, quoteIdent } from "./sql.ts";

/** Table in the shadow schema that remembers tables a migration dropped (so the origin is not re-copied). */
export const DROPPED_TABLE = "_migration_dropped";

/** The schema holding the shadow copies of `origin`: `_migration_shadow` for `public`, else suffixed by the origin's name. */
export function shadowSchemaFor(origin: string): string {
  return origin === "public" ? "_migration_shadow" : `_migration_shadow_${origin}`.slice(0, 63);
}

/** Where the finalize swap moves the replaced origin tables, to drop them after its COMMIT: `_migration_retired` for `public`, else suffixed. */
export function retiredSchemaFor(origin: string): string {
  return origin === "public" ? "_migration_retired" : `_migration_retired_${origin}`.slice(0, 63);
}

/** The origin schema and its shadow schema. */
export interface Schemas {
  /** Where the application's tables and the bookkeeping live. */
  origin: string;
  /** Where shadow copies live. */
  shadow: string;
}

/** Creates the shadow schema when missing. */
export async function ensureShadowSchema(client: PoolClient, schemas: Schemas): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schemas.shadow)}`);
}

/** Whether `schema` has a (plain or partitioned) table `table`. */
export async function schemaHasTable(client: PoolClient, schema: string, table: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  return rowCount === 1;
}

/** Tables of `schema`, excluding our `_migration_` bookkeeping, by name. */
export async function userTables(client: PoolClient, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_migration\\_%' ORDER BY c.relname`,
    [schema],
  );
  return rows.map((r) => r.relname);
}

/** Tables marked dropped in the shadow schema. */
export async function droppedTables(client: PoolClient, schemas: Schemas): Promise<string[]> {
  if (!(await schemaHasTable(client, schemas.shadow, DROPPED_TABLE))) return [];
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${qualify(schemas.shadow, DROPPED_TABLE)} ORDER BY name`);
  return rows.map((r) => r.name);
}

/** Marks `table` dropped in the shadow schema. */
export async function markTableDropped(client: PoolClient, schemas: Schemas, table: string): Promise<void> {
  const marks = qualify(schemas.shadow, DROPPED_TABLE);
  await client.query(`CREATE TABLE IF NOT EXISTS ${marks} (name text PRIMARY KEY)`);
  await client.query(`INSERT INTO ${marks} (name) VALUES ($1) ON CONFLICT DO NOTHING`, [table]);
}

/** Where a plain name points for a migration: the shadow copy, else nothing when marked dropped, else the origin. */
export async function locateTable(client: PoolClient, schemas: Schemas, table: string): Promise<TableLocation> {
  if (await schemaHasTable(client, schemas.shadow, table)) return "shadow";
  if ((await droppedTables(client, schemas)).includes(table)) return "none";
  return (await schemaHasTable(client, schemas.origin, table)) ? "origin" : "none";
}

/** Rows of `table` where a plain name points; 0 when it points nowhere. */
export async function countLocated(client: PoolClient, schemas: Schemas, table: string): Promise<number> {
  const location = await locateTable(client, schemas, table);
  if (location === "none") return 0;
  const schema = location === "shadow" ? schemas.shadow : schemas.origin;
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualify(schema, table)}`);
  return Number(rows[0]!.n);
}

/**
 * Drops the shadow schema with everything in it, and the old tables a finalize retired (left over when it
 * ended before dropping them). CASCADE reaches only objects that depend on shadow or retired objects; the
 * origin never does (shadow defaults may use origin sequences, not the other way round; the swap retires a
 * table only when nothing outside it depends on it).
 */
export async function dropShadowSchema(client: PoolClient, schemas: Schemas): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schemas.shadow)}, ${quoteIdent(retiredSchemaFor(schemas.origin))} CASCADE`);
}
