import { existsSync } from "node:fs";
import type { Connection } from "./connection.ts";
import { schemaHasTable } from "./shadow-file.ts";
import { SqliteShadowSession } from "./shadow-session.ts";
import { quoteIdent } from "./sql.ts";

/**
 * Rows of `tables` as a migration would see them, each table once however often it is listed (a row
 * counts once per table it lands in): the shadow copy when the shadow file has one, else the origin
 * table; missing tables count 0. `origin` connects to the database file.
 */
export async function countTableRows(originPath: string, shadowPath: string, origin: Connection, listed: readonly string[]): Promise<number> {
  const tables = [...new Set(listed)];
  if (!existsSync(shadowPath)) {
    return tables.reduce((sum, table) => sum + (schemaHasTable(origin, "main", table) ? countIn(origin, "main", table) : 0), 0);
  }
  const session = new SqliteShadowSession(shadowPath, originPath, { verbose: false, log: () => {} });
  try {
    let total = 0;
    for (const table of tables) total += await session.countRows(table);
    return total;
  } finally {
    await session.close();
  }
}

function countIn(db: Connection, schema: string, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${schema}.${quoteIdent(table)}`).get() as { n: number }).n;
}
