import type { PoolClient } from "./pg-pool.ts";
import { CAPTURE_NAME, CHANGES_TABLE, GUARD_TRIGGERS, PROTECT_NAME, REPLAYED_TABLE } from "./guard-names.ts";
import { qualify, quoteLiteral } from "./sql.ts";

/** SQLSTATE of a write rejected by the write protection (class "MS": migration service). */
export const PROTECTION_SQLSTATE = "MS001";

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

/** Tables of `schema` with trigger `name` (one of ours, calling a function in `schema`), enabled ones or disabled ones. */
export async function tablesWithTrigger(client: PoolClient, schema: string, name: string, enabled: boolean): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
     WHERE n.nspname = $1 AND t.tgname = $2 AND pn.nspname = $1 AND (t.tgenabled <> 'D') = $3`,
    [schema, name, enabled],
  );
  return rows.map((r) => r.relname);
}

/** Whether `schema.table` has trigger `name`, enabled or not. */
export async function hasTrigger(client: PoolClient, schema: string, table: string, name: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND t.tgname = $3`,
    [schema, table, name],
  );
  return rowCount === 1;
}

/** Which of `tables` in `schema` refuse writes or capture them (an enabled protection or capture trigger): either keeps the shadow copy exact. */
export async function guardedTables(client: PoolClient, schema: string, tables: readonly string[]): Promise<Set<string>> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND t.tgname IN ($3, $4) AND t.tgenabled <> 'D'`,
    [schema, tables, PROTECT_NAME, CAPTURE_NAME],
  );
  return new Set(rows.map((r) => r.relname));
}

/**
 * Lifts every protection and capture in `schema` by disabling their triggers, and forgets the change log:
 * DISABLE TRIGGER takes SHARE ROW EXCLUSIVE, so a long reader cannot hold the lifting up (DROP TRIGGER
 * would need ACCESS EXCLUSIVE).
 */
export async function liftAllProtection(client: PoolClient, schema: string): Promise<void> {
  for (const statement of await liftStatements(client, schema)) await client.query(statement);
}

/** The statements of liftAllProtection, read now and run later; tables in `except` (the finalize swap retires them) are left alone. */
export async function liftStatements(client: PoolClient, schema: string, except: readonly string[] = []): Promise<string[]> {
  const statements: string[] = [];
  for (const name of GUARD_TRIGGERS) {
    for (const table of await tablesWithTrigger(client, schema, name, true)) {
      if (!except.includes(table)) statements.push(`ALTER TABLE ${qualify(schema, table)} DISABLE TRIGGER ${name}`);
    }
  }
  return [...statements, `DELETE FROM ${qualify(schema, CHANGES_TABLE)}`, `DELETE FROM ${qualify(schema, REPLAYED_TABLE)}`];
}

/** Drops the disabled protection and capture triggers it can lock at once (`lock_timeout` 50 ms); the others stay, inert, for a later try. */
export async function dropLiftedProtection(client: PoolClient, schema: string): Promise<void> {
  for (const name of GUARD_TRIGGERS) {
    for (const table of await tablesWithTrigger(client, schema, name, false)) {
      await client.query("BEGIN");
      try {
        await client.query("SET LOCAL lock_timeout = 50");
        await client.query(`DROP TRIGGER IF EXISTS ${name} ON ${qualify(schema, table)}`);
        await client.query("COMMIT");
      } catch {
        await client.query("ROLLBACK");
      }
    }
  }
}
