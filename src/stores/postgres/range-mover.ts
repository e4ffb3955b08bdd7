import pg from "pg";
import type { Row } from "../../migrations/types.ts";
import { LeaseLostError } from "../lease-lost.ts";
import type { KeyRange, RowMapper } from "../store.ts";
import { selectByCopy } from "./copy-read.ts";
import { copyRows } from "./copy-rows.ts";
import { keyColumnsOf, keyValues, type PgRangePlan } from "./range-plan.ts";
import { workerConnections } from "./worker-connections.ts";
import { qualify, quoteIdent, quoteLiteral } from "./sql.ts";

/**
 * Moves one key range on this thread's own connection, in one transaction: reads the source rows, maps
 * them, and COPYs the results into the shadow table (`in-place` deletes the range's old rows first).
 * Returns the rows read.
 */
export function moveRangePostgres(plan: PgRangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return workerConnections.use(plan.url, async (client) => {
    await client.query("BEGIN");
    try {
      const rows = await readRange(client, plan, range);
      const results = await map(rows);
      // KEY SHARE on the command row from here to the commit: an interrupt or a new claim (FOR UPDATE) waits for
      // this write, and a later one sees the lease gone. Taken after the transform, which may never return.
      const lease = await client.query(`SELECT 1 FROM ${plan.commandTable} WHERE id = 1 AND running AND owner = $1 FOR KEY SHARE`, [plan.owner]);
      if (lease.rowCount !== 1) throw new LeaseLostError(plan.owner, `writing a range of "${plan.shape.table}"`);
      if (plan.route === "in-place") await deleteRange(client, plan, range);
      await copyRows(client, { ...plan.shape, jsonColumns: plan.jsonColumns }, results);
      await client.query("COMMIT");
      return rows.length;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
}

/** `WHERE` clause selecting a range of `t`, with each key text rendered by `bind` (a placeholder or a literal). */
function rangeFilter(plan: PgRangePlan, range: KeyRange, bind: (value: unknown) => string): string {
  const key = keyColumnsOf(plan.shape);
  const conditions: string[] = [];
  if (range.after !== null) conditions.push(`${key} > ${keyValues(plan.shape, range.after.map(bind))}`);
  if (range.upTo !== null) conditions.push(`${key} <= ${keyValues(plan.shape, range.upTo.map(bind))}`);
  return conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
}

/** The rows of a range in key order; COPY takes no parameters, so the key texts are inlined as literals. */
async function readRange(client: pg.Client, plan: PgRangePlan, range: KeyRange): Promise<Row[]> {
  const where = rangeFilter(plan, range, (value) => quoteLiteral(String(value)));
  const order = plan.shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  return selectByCopy(client, `SELECT t.* FROM ${qualify(plan.sourceSchema, plan.shape.table)} t ${where} ORDER BY ${order}`);
}

async function deleteRange(client: pg.Client, plan: PgRangePlan, range: KeyRange): Promise<void> {
  const values: unknown[] = [];
  const where = rangeFilter(plan, range, (value) => {
    values.push(value);
    return `$${values.length}`;
  });
  await client.query(`DELETE FROM ${qualify(plan.shape.schema, plan.shape.table)} t ${where}`, values);
}
