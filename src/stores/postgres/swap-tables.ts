import { rethrowWithContext } from "./lock-retry.ts";
import type { PoolClient } from "./pg-pool.ts";
import { GUARD_TRIGGERS } from "./guard-names.ts";
import type { Schemas } from "./shadow-schema.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { type SavedGrant, readGrants, restoreGrants } from "./swap-grants.ts";

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

/** Detaches the owned sequences from the old table, so dropping it keeps them. */
export async function disownSequences(client: PoolClient, saved: SavedTable): Promise<void> {
  for (const { sequence } of saved.sequences) await client.query(`ALTER SEQUENCE ${sequence} OWNED BY NONE`);
}

/** Gives the new table (now in the origin) the old one's sequence ownership, triggers and privileges. */
export async function restoreTableObjects(client: PoolClient, schemas: Schemas, saved: SavedTable): Promise<void> {
  const name = qualify(schemas.origin, saved.table);
  for (const { sequence, column } of saved.sequences) {
    const { rowCount } = await client.query(
      "SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
      [name, column],
    );
    if (rowCount === 1) await client.query(`ALTER SEQUENCE ${sequence} OWNED BY ${name}.${quoteIdent(column)}`);
  }
  for (const trigger of saved.triggers) {
    await rethrowWithContext(`Cannot re-create trigger "${trigger.name}" on table "${saved.table}" after the swap`, () =>
      client.query(trigger.definition),
    );
  }
  await restoreGrants(client, name, saved.grants);
}
