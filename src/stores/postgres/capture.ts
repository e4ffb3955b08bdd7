import type { PoolClient } from "./pg-pool.ts";
import { CAPTURE_NAME, CAPTURE_TRUNCATE_NAME, CHANGES_TABLE, PROTECT_NAME, REPLAYED_TABLE } from "./guard-names.ts";
import type { TableProtection } from "../../core/state-store.ts";
import { hasTrigger, protectTable } from "./protection.ts";
import { qualify, quoteLiteral } from "./sql.ts";

/** Creates the change log, the replay counters and the capture function in `schema` (idempotent). */
export async function createCapture(client: PoolClient, schema: string): Promise<void> {
  const changes = qualify(schema, CHANGES_TABLE);
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${changes} (seq bigserial PRIMARY KEY, tbl text NOT NULL, key text[] NOT NULL, kind "char" NOT NULL);
    CREATE TABLE IF NOT EXISTS ${qualify(schema, REPLAYED_TABLE)} (tbl text PRIMARY KEY, replayed bigint NOT NULL DEFAULT 0);`);
  // CREATE INDEX locks the log before it looks, even with IF NOT EXISTS: a store opened while the application
  // writes captured tables (a replica starting, a replay, a plan) would hold those writes up behind it.
  const { rows } = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [qualify(schema, `${CHANGES_TABLE}_tbl`)]);
  if (!rows[0]!.found) await client.query(`CREATE INDEX IF NOT EXISTS ${CHANGES_TABLE}_tbl ON ${changes} (tbl, seq)`);
  // SECURITY DEFINER: the application's role needs no privilege on the log. The key travels as the
  // text of each key column (TG_ARGV names them), which casts back to the column's type on replay.
  await client.query(
    `CREATE OR REPLACE FUNCTION ${qualify(schema, CAPTURE_NAME)}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
     SET search_path = pg_catalog AS $body$
     DECLARE old_key text[]; new_key text[];
     BEGIN
       IF TG_OP <> 'INSERT' THEN
         SELECT array_agg(to_jsonb(OLD) ->> k ORDER BY o) INTO old_key FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, o);
       END IF;
       IF TG_OP <> 'DELETE' THEN
         SELECT array_agg(to_jsonb(NEW) ->> k ORDER BY o) INTO new_key FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, o);
       END IF;
       IF old_key IS NOT NULL AND old_key IS DISTINCT FROM new_key THEN
         INSERT INTO ${changes} (tbl, key, kind) VALUES (TG_TABLE_NAME, old_key, CASE TG_OP WHEN 'DELETE' THEN 'D' ELSE 'U' END);
       END IF;
       IF new_key IS NOT NULL THEN
         INSERT INTO ${changes} (tbl, key, kind) VALUES (TG_TABLE_NAME, new_key, left(TG_OP, 1));
       END IF;
       RETURN NULL;
     END
     $body$`,
  );
}

/**
 * Starts capturing the writes of `schema.table`: an AFTER row trigger logs each changed key in the writer's
 * own transaction, a TRUNCATE is refused with `message`, and a protection trigger from an earlier run is
 * disabled. False, changing nothing, when the table does not exist or has no primary key to replay
 * changes by.
 */
export async function captureTable(client: PoolClient, schema: string, table: string, message: string): Promise<boolean> {
  const { rows } = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND i.indisprimary
     ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [schema, table],
  );
  if (rows.length === 0) return false;
  const name = qualify(schema, table);
  await client.query(
    `CREATE OR REPLACE TRIGGER ${CAPTURE_NAME} AFTER INSERT OR UPDATE OR DELETE ON ${name}
     FOR EACH ROW EXECUTE FUNCTION ${qualify(schema, CAPTURE_NAME)}(${rows.map((r) => quoteLiteral(r.attname)).join(", ")})`,
  );
  await client.query(
    `CREATE OR REPLACE TRIGGER ${CAPTURE_TRUNCATE_NAME} BEFORE TRUNCATE ON ${name}
     FOR EACH STATEMENT EXECUTE FUNCTION ${qualify(schema, PROTECT_NAME)}(${quoteLiteral(message)})`,
  );
  if (await hasTrigger(client, schema, table, PROTECT_NAME)) await client.query(`ALTER TABLE ${name} DISABLE TRIGGER ${PROTECT_NAME}`);
  await client.query(`INSERT INTO ${qualify(schema, REPLAYED_TABLE)} (tbl) VALUES ($1) ON CONFLICT (tbl) DO NOTHING`, [table]);
  return true;
}

/** Captures or protects a table as the claim decided; protects when it cannot capture; nothing when the table does not exist. */
export async function guardTable(client: PoolClient, schema: string, guard: TableProtection): Promise<void> {
  if (guard.capture && (await captureTable(client, schema, guard.table, guard.message))) return;
  await protectTable(client, schema, guard.table, guard.message);
}
