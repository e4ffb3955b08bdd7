import type pg from "pg";
import type { CreateIndex } from "../../migrations/alter-steps.ts";
import { alterStatement, type TableStep } from "../alter-sql.ts";
import { type PoolClient, withClient } from "./pg-pool.ts";
import { qualify } from "./sql.ts";
import type { SwapStatement } from "./swap-batch.ts";

/**
 * Builds the declared indexes of original tables with CREATE INDEX CONCURRENTLY, before the swap locks
 * anything: the application keeps writing. An invalid index left by an earlier, failed build is dropped
 * and built again; a valid one of the same name on the same table is kept (a retried finalize).
 */
export async function buildIndexesConcurrently(pool: pg.Pool, schema: string, steps: readonly TableStep[]): Promise<void> {
  if (steps.length === 0) return;
  await withClient(pool, async (client) => {
    for (const { table, step } of steps) {
      const { name } = (step as CreateIndex).createIndex;
      const existing = await indexState(client, schema, name);
      if (existing?.table === table && existing.valid) continue;
      if (existing !== null && existing.table !== table) throw new Error(`Cannot create index "${name}" on table "${table}": an index of that name exists on table "${existing.table}"`);
      if (existing !== null) await client.query(`DROP INDEX CONCURRENTLY ${qualify(schema, name)}`);
      await run(client, alterStatement({ dialect: "postgres", schema, table }, step, true));
    }
  });
}

/** The statements of the other declared steps of original tables, run in the swap's transaction in order; a failure names the statement. */
export function lockedStatements(schema: string, steps: readonly TableStep[]): SwapStatement[] {
  return steps.map(({ table, step }) => {
    const sql = alterStatement({ dialect: "postgres", schema, table }, step);
    return { sql, fail: (message) => inStatement(message, sql) };
  });
}

async function run(client: PoolClient, statement: string): Promise<void> {
  await client.query(statement).catch((error: Error) => {
    throw new Error(inStatement(error.message, statement), { cause: error });
  });
}

function inStatement(message: string, statement: string): string {
  return `${message} (in: ${statement})`;
}

async function indexState(client: PoolClient, schema: string, name: string): Promise<{ table: string; valid: boolean } | null> {
  const { rows } = await client.query<{ table: string; valid: boolean }>(
    `SELECT t.relname AS table, i.indisvalid AS valid FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  return rows[0] ?? null;
}
