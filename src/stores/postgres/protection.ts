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
 * Installs (or replaces, enabled) the statement-level trigger rejecting INSERT, UPDATE, DELETE and
 * TRUNCATE on `schema.table`; false when the table does not exist. CREATE OR REPLACE TRIGGER takes SHARE
 * ROW EXCLUSIVE: it waits for writers, never for readers.
 */
export async function protectTable(client: PoolClient, schema: string, table: string, message: string): Promise<boolean> {
  const exists = await client.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  if (exists.rowCount === 0) return false;
  await client.query(
    `CREATE OR REPLACE TRIGGER ${PROTECT_NAME} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${qualify(schema, table)}
     FOR EACH STATEMENT EXECUTE FUNCTION ${qualify(schema, PROTECT_NAME)}(${quoteLiteral(message)})`,
  );
  return true;
}

/** Tables of `schema` with a protection trigger (one calling our function), enabled ones or disabled ones. */
async function protectedTables(client: PoolClient, schema: string, enabled: boolean): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
     WHERE n.nspname = $1 AND t.tgname = $2 AND p.proname = $2 AND pn.nspname = $1 AND (t.tgenabled <> 'D') = $3`,
    [schema, PROTECT_NAME, enabled],
  );
  return rows.map((r) => r.relname);
}

/** Whether `schema.table` has its protection trigger, enabled. */
export async function isProtected(client: PoolClient, schema: string, table: string): Promise<boolean> {
  return (await protectedTables(client, schema, true)).includes(table);
}

/**
 * Lifts every protection in `schema` by disabling its trigger: DISABLE TRIGGER takes SHARE ROW
 * EXCLUSIVE, so a long reader cannot hold the lifting up (DROP TRIGGER would need ACCESS EXCLUSIVE).
 */
export async function liftAllProtection(client: PoolClient, schema: string): Promise<void> {
  for (const table of await protectedTables(client, schema, true)) {
    await client.query(`ALTER TABLE ${qualify(schema, table)} DISABLE TRIGGER ${PROTECT_NAME}`);
  }
}

/** Drops the disabled protection triggers it can lock at once (`lock_timeout` 50 ms); the others stay, inert, for a later try. */
export async function dropLiftedProtection(client: PoolClient, schema: string): Promise<void> {
  for (const table of await protectedTables(client, schema, false)) {
    await client.query("BEGIN");
    try {
      await client.query("SET LOCAL lock_timeout = 50");
      await client.query(`DROP TRIGGER IF EXISTS ${PROTECT_NAME} ON ${qualify(schema, table)}`);
      await client.query("COMMIT");
    } catch {
      await client.query("ROLLBACK");
    }
  }
}
