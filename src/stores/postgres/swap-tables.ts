import type { PoolClient } from "./pg-pool.ts";
import { inContext, type SwapStatement } from "./swap-batch.ts";
import { GUARD_TRIGGERS } from "./guard-names.ts";
import type { Schemas } from "./shadow-schema.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { type SavedGrant, grantStatements, readGrants } from "./swap-grants.ts";

/** What an origin table has that its shadow copy does not, remembered across the swap. */
export interface SavedTable {
  /** Table name. */
  table: string;
  /** Its own triggers (not the write protection or capture): name and `pg_get_triggerdef`. */
  triggers: { name: string; definition: string }[];
  /** Its privileges. */
  grants: SavedGrant[];
  /** Sequences owned by its columns (serial): they must outlive the old table, the copy's defaults use them. */
  sequences: { sequence: string; column: string }[];
}

/** Reads the triggers, privileges and owned sequences of origin table `oid`. */
export async function saveTableObjects(client: PoolClient, table: string, oid: number): Promise<SavedTable> {
  const triggers = await client.query<{ name: string; definition: string }>(
    `SELECT tgname AS name, pg_get_triggerdef(oid) AS definition FROM pg_trigger
     WHERE tgrelid = $1 AND NOT tgisinternal AND tgname <> ALL($2::text[]) ORDER BY tgname`,
    [oid, GUARD_TRIGGERS],
  );
  const sequences = await client.query<{ sequence: string; column: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(s.relname) AS sequence, a.attname AS column
     FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace n ON n.oid = s.relnamespace
     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND d.deptype = 'a'`,
    [oid],
  );
  return { table, triggers: triggers.rows, grants: await readGrants(client, oid), sequences: sequences.rows };
}

/** The statements detaching the owned sequences from the old table, so that retiring or dropping it keeps them. */
export function disownStatements(saved: SavedTable): SwapStatement[] {
  return saved.sequences.map(({ sequence }) => ({ sql: `ALTER SEQUENCE ${sequence} OWNED BY NONE` }));
}

/**
 * The statements giving the new table (by then in the origin) the old one's sequence ownership (where the new
 * table still has the column: `columns`), triggers and privileges.
 */
export function restoreStatements(schemas: Schemas, saved: SavedTable, columns: ReadonlySet<string>): SwapStatement[] {
  const name = qualify(schemas.origin, saved.table);
  return [
    ...saved.sequences.filter(({ column }) => columns.has(column)).map(({ sequence, column }) => ({ sql: `ALTER SEQUENCE ${sequence} OWNED BY ${name}.${quoteIdent(column)}` })),
    ...saved.triggers.map((trigger) => inContext(trigger.definition, `Cannot re-create trigger "${trigger.name}" on table "${saved.table}" after the swap`)),
    ...grantStatements(name, saved.grants).map((sql) => ({ sql })),
  ];
}
