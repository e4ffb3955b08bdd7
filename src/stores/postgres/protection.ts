import type { PoolClient } from "./pg-pool.ts";
import { qualify, quoteLiteral } from "./sql.ts";

/** SQLSTATE of a write rejected by the write protection (class "MS": migration service). */
export const PROTECTION_SQLSTATE = "MS001";
/** Name of the protection function and of every protection trigger, in the origin schema. */
export const PROTECT_NAME = "_migration_protect";

/** Creates (or replaces) the trigger function that rejects a statement with its first trigger argument as message. */
export async function createProtectFunction(client: PoolClient, schema: string): Promise<void> {
  await client.query(
    `CREATE OR REPLACE FUNCTION ${qualify(schema, PROTECT_NAME)}() RETURNS trigger LANGUAGE plpgsql AS $body$
     BEGIN
       RAISE EXCEPTION USING ERRCODE = '${PROTECTION_SQLSTATE}', MESSAGE = TG_ARGV[0];
     END
     $body$`,
  );
}

/**
 * Installs (or replaces) the statement-level trigger rejecting INSERT, UPDATE, DELETE and TRUNCATE on
 * `schema.table`; false when the table does not exist. Takes SHARE ROW EXCLUSIVE: waits for writers, not readers.
 */
export async function protectTable(client: PoolClient, schema: string, table: string, message: string): Promise<boolean> {
  const exists = await client.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  if (exists.rowCount === 0) return false;
  const target = qualify(schema, table);
  await client.query(`DROP TRIGGER IF EXISTS ${PROTECT_NAME} ON ${target}`);
  await client.query(
    `CREATE TRIGGER ${PROTECT_NAME} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${target}
     FOR EACH STATEMENT EXECUTE FUNCTION ${qualify(schema, PROTECT_NAME)}(${quoteLiteral(message)})`,
  );
  return true;
}

/** Drops every protection trigger in `schema` (those calling our function). */
export async function dropAllProtection(client: PoolClient, schema: string): Promise<void> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
     WHERE n.nspname = $1 AND t.tgname = $2 AND p.proname = $2 AND pn.nspname = $1`,
    [schema, PROTECT_NAME],
  );
  for (const { relname } of rows) await client.query(`DROP TRIGGER IF EXISTS ${PROTECT_NAME} ON ${qualify(schema, relname)}`);
}
