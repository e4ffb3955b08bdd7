import type pg from "pg";
import { LeaseLostError } from "../lease-lost.ts";
import type { KeyRange, RowMapper } from "../store.ts";
import { decodeCopyText, readCopyText } from "./copy-read.ts";
import { PendingCopy } from "./copy-rows.ts";
import { keyColumnsOf, keyValues, type PgRangePlan } from "./range-plan.ts";
import { workerConnections } from "./worker-connections.ts";
import { qualify, quoteIdent, quoteLiteral } from "./sql.ts";

/**
 * Rows decoded, transformed and encoded at a time: their objects die young, where a whole range's would
 * outlive several young-generation collections (garbage collection was a fifth of a transform thread's time).
 */
const CHUNK_ROWS = 500;

/**
 * Moves one key range on this thread's own connection, in one transaction: reads the source rows as COPY
 * text, maps them a chunk at a time into COPY text for the shadow table (a value the transform left as it
 * was is written as the text it was read from), and COPYs it in (`in-place` deletes the range's old rows
 * first). Returns the rows read.
 */
export function moveRangePostgres(plan: PgRangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return workerConnections.use(plan.url, async (client) => {
    const select = rangeSelect(plan, range);
    try {
      // One round trip: the transaction, and the columns of the rows read and of the table written. The commit
      // need not wait for its WAL flush: whatever the service later records as done commits after it, and
      // that commit's flush covers this one (WAL is flushed in order).
      const [, , read, written] = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = off; ${select} LIMIT 0; SELECT * FROM ${qualify(plan.shape.schema, plan.shape.table)} LIMIT 0`,
      )) as unknown as pg.QueryResult[];
      const text = await readCopyText(client, select);
      const pending = new PendingCopy({ ...plan.shape, jsonColumns: plan.jsonColumns }, sameTypes(read!.fields, written!.fields));
      let rows = 0;
      for (let at = 0; at < text.length; ) {
        const chunk = decodeCopyText(text, read!.fields, at, CHUNK_ROWS);
        pending.add(await map(chunk.rows), chunk.columns);
        rows += chunk.rows.length;
        at = chunk.end;
      }
      // KEY SHARE on the command row from here to the commit: an interrupt or a new claim (FOR UPDATE) waits for
      // this write, and a later one sees the lease gone. Taken after the transform, which may never return.
      const lease = await client.query(`SELECT 1 FROM ${plan.commandTable} WHERE id = 1 AND running AND owner = $1 FOR KEY SHARE`, [plan.owner]);
      if (lease.rowCount !== 1) throw new LeaseLostError(plan.owner, `writing a range of "${plan.shape.table}"`);
      if (plan.route === "in-place") await deleteRange(client, plan, range);
      await pending.write(client);
      await client.query("COMMIT");
      return rows;
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

/** The `SELECT` of a range's rows in key order; COPY takes no parameters, so the key texts are inlined as literals. */
function rangeSelect(plan: PgRangePlan, range: KeyRange): string {
  const where = rangeFilter(plan, range, (value) => quoteLiteral(String(value)));
  const order = plan.shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  return `SELECT t.* FROM ${qualify(plan.sourceSchema, plan.shape.table)} t ${where} ORDER BY ${order}`;
}

/** The columns read that the target has too, with the same type: their texts can be written back as read. */
function sameTypes(read: readonly pg.FieldDef[], target: readonly pg.FieldDef[]): Set<string> {
  const types = new Map(target.map((f) => [f.name, f.dataTypeID]));
  return new Set(read.filter((f) => types.get(f.name) === f.dataTypeID).map((f) => f.name));
}

async function deleteRange(client: pg.Client, plan: PgRangePlan, range: KeyRange): Promise<void> {
  const values: unknown[] = [];
  const where = rangeFilter(plan, range, (value) => {
    values.push(value);
    return `$${values.length}`;
  });
  await client.query(`DELETE FROM ${qualify(plan.shape.schema, plan.shape.table)} t ${where}`, values);
}
