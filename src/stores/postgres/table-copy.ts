import type { PoolClient } from "./pg-pool.ts";
import type { Schemas } from "./shadow-schema.ts";
import { qualify, quoteIdent, quoteLiteral } from "./sql.ts";
import { readShape } from "./table-shape.ts";

/**
 * Copies `origin.table` into the shadow schema inside the database: the columns with defaults, identity,
 * generated columns, check constraints, comments and storage (`LIKE … INCLUDING ALL`), then the rows in
 * one INSERT … SELECT, then the key/unique/exclusion constraints and indexes under the origin's own names
 * (index names are per schema, so the swap needs no renames). Call inside a transaction; returns the rows copied.
 */
export async function copyTableToShadow(client: PoolClient, schemas: Schemas, table: string): Promise<number> {
  await createEmptyShadowTable(client, schemas, table);
  const columns = (await readShape(client, schemas.origin, table)).writableColumns.map(quoteIdent).join(", ");
  const origin = qualify(schemas.origin, table);
  // Indexes are built after the rows: one sort per index instead of one insertion per row.
  const copied = columns === ""
    ? 0
    : ((await client.query(`INSERT INTO ${qualify(schemas.shadow, table)} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM ${origin}`)).rowCount ?? 0);
  await completeShadowTable(client, schemas, table);
  return copied;
}

/** Creates the shadow copy of `origin.table` with its columns, defaults and checks, but no rows, keys or indexes. */
export async function createEmptyShadowTable(client: PoolClient, schemas: Schemas, table: string): Promise<void> {
  await client.query(`CREATE TABLE ${qualify(schemas.shadow, table)} (LIKE ${qualify(schemas.origin, table)} INCLUDING ALL EXCLUDING INDEXES)`);
}

/** Adds the origin's keys and indexes to a filled shadow copy and moves its identity sequences up to the origin's. */
export async function completeShadowTable(client: PoolClient, schemas: Schemas, table: string): Promise<void> {
  await copyKeysAndIndexes(client, schemas, table);
  await alignIdentitySequences(client, schemas.origin, schemas.shadow, table);
}

async function copyKeysAndIndexes(client: PoolClient, schemas: Schemas, table: string): Promise<void> {
  const shadow = qualify(schemas.shadow, table);
  const { rows: constraints } = await client.query<{ conname: string; def: string }>(
    `SELECT con.conname, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con
     WHERE con.conrelid = $1::regclass AND con.contype IN ('p', 'u', 'x') ORDER BY con.contype = 'p' DESC, con.conname`,
    [qualify(schemas.origin, table)],
  );
  for (const c of constraints) await client.query(`ALTER TABLE ${shadow} ADD CONSTRAINT ${quoteIdent(c.conname)} ${c.def}`);
  const { rows: indexes } = await client.query<{ def: string }>(
    `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
     WHERE i.indrelid = $1::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
     ORDER BY i.indexrelid`,
    [qualify(schemas.origin, table)],
  );
  // pg_get_indexdef always names the table schema-qualified: `… ON public.t USING …`.
  const printed = await printedName(client, schemas.origin, table);
  const from = new RegExp(` ON (ONLY )?${escapeRegExp(printed)} USING `);
  for (const { def } of indexes) {
    if (!from.test(def)) throw new Error(`Cannot copy an index of table "${table}" into the shadow: unexpected definition ${def}`);
    await client.query(def.replace(from, (_match, only: string | undefined) => ` ON ${only ?? ""}${shadow} USING `));
  }
}

/**
 * Moves each identity sequence of `into.table` forward to where the origin's sequence stands (never
 * back), so rows a migration inserts into the copy, and after the swap the application's, get fresh ids.
 */
export async function alignIdentitySequences(client: PoolClient, from: string, into: string, table: string): Promise<void> {
  for (const statement of await identityAlignments(client, from, into, table)) await client.query(statement);
}

/** The statements of alignIdentitySequences, read now and run later (the finalize swap runs them under its locks). */
export async function identityAlignments(client: PoolClient, from: string, into: string, table: string): Promise<string[]> {
  const { rows } = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attidentity <> '' AND NOT a.attisdropped`,
    [qualify(into, table)],
  );
  const statements: string[] = [];
  for (const { attname } of rows) {
    const origin = await sequenceOf(client, from, table, attname);
    const target = await sequenceOf(client, into, table, attname);
    if (origin === null || target === null) continue;
    statements.push(
      `SELECT setval(${quoteLiteral(target)}::regclass, o.last_value, true)
       FROM (SELECT last_value, is_called FROM ${origin}) o, (SELECT last_value, is_called FROM ${target}) t
       WHERE o.is_called AND (NOT t.is_called OR o.last_value > t.last_value)`,
    );
  }
  return statements;
}

async function sequenceOf(client: PoolClient, schema: string, table: string, column: string): Promise<string | null> {
  const { rows } = await client.query<{ seq: string | null }>("SELECT pg_get_serial_sequence($1, $2) AS seq", [qualify(schema, table), column]);
  return rows[0]?.seq ?? null;
}

/** How PostgreSQL prints a qualified name in definitions: each part quoted only when it needs to be. */
async function printedName(client: PoolClient, schema: string, table: string): Promise<string> {
  const { rows } = await client.query<{ name: string }>("SELECT quote_ident($1) || '.' || quote_ident($2) AS name", [schema, table]);
  return rows[0]!.name;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
