import type pg from "pg";
import type { OriginReader } from "../store.ts";
import { postgresMigrationDb, type Serialized } from "./migration-db.ts";
import { checkout } from "./pg-pool.ts";
import { schemaHasTable } from "./shadow-schema.ts";
import { qualify } from "./sql.ts";

/**
 * Runs `fn` on a fresh connection whose plain names are the origin tables, in one READ ONLY transaction
 * (every later transaction of the session is read-only too) that is rolled back; the connection is
 * destroyed after, so a setting the code changed dies with it.
 */
export async function readOriginOn<T>(pool: pg.Pool, origin: string, fn: (reader: OriginReader) => Promise<T>): Promise<T> {
  const held = await checkout(pool);
  try {
    const client = held.client;
    await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    let chain: Promise<unknown> = Promise.resolve();
    const serialized: Serialized = (call) => {
      const next = chain.then(() => call(client));
      chain = next.catch(() => {});
      return next;
    };
    const hasTable = (table: string) => serialized((c) => schemaHasTable(c, origin, table));
    return await fn({
      db: postgresMigrationDb(serialized, { verbose: false, log: () => {} }),
      hasTable,
      countRows: async (table) => {
        if (!(await hasTable(table))) return 0;
        const { rows } = await serialized((c) => c.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualify(origin, table)}`));
        return Number(rows[0]!.n);
      },
    });
  } finally {
    await held.client.query("ROLLBACK").catch(() => {});
    held.release(true);
  }
}
