import type pg from "pg";
import { LeaseLostError } from "../lease-lost.ts";
import type { KeyRange, RowMapper } from "../store.ts";
import { copyTextBlocks, decodeCopyText, selectFields } from "./copy-read.ts";
import { StreamingCopy } from "./copy-rows.ts";
import { keyColumnsOf, keyValues, type PgRangePlan } from "./range-plan.ts";
import { readerConnections, workerConnections } from "./worker-connections.ts";
import { qualify, quoteIdent, quoteLiteral } from "./sql.ts";

/**
 * Rows decoded, transformed and encoded at a time: their objects die young, where a whole range's would
 * outlive several young-generation collections (garbage collection was a fifth of a transform thread's time).
 */
const CHUNK_ROWS = 500;

/**
 * Moves one key range in one transaction on this thread's own connection, streaming: the rows are read
 * by `COPY (SELECT …) TO STDOUT` on a second connection and, a chunk at a time as they arrive, mapped and
 * written by `COPY … FROM STDIN` (a value the transform left as it was goes back as the text it was read
 * from), so PostgreSQL reads, this thread transforms and PostgreSQL writes at the same time. `in-place`
 * deletes the range's old rows first; the reading connection still sees them (they are not committed).
 * Returns the rows read.
 */
export function moveRangePostgres(plan: PgRangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return workerConnections.use(plan.url, (writer) =>
    readerConnections.use(plan.url, async (reader) => {
      const select = rangeSelect(plan, range);
      let copy: StreamingCopy | null = null;
      try {
        // One round trip each: the transaction with the written table's columns, and the columns of the rows read.
        // The commit need not wait for its WAL flush: whatever the service later records as done commits after
        // it, and that commit's flush covers this one (WAL is flushed in order).
        const [opened, read] = await Promise.all([
          writer.query(`BEGIN; SET LOCAL synchronous_commit = off; SELECT * FROM ${qualify(plan.shape.schema, plan.shape.table)} LIMIT 0`),
          selectFields(reader, select),
        ]);
        const written = (opened as unknown as pg.QueryResult[])[2]!.fields;
        if (plan.route === "in-place") await deleteRange(writer, plan, range);
        copy = new StreamingCopy(writer, { ...plan.shape, jsonColumns: plan.jsonColumns }, sameTypes(read, written));
        let rows = 0;
        for await (const block of copyTextBlocks(reader, select)) {
          for (let at = 0; at < block.length; ) {
            const chunk = decodeCopyText(block, read, at, CHUNK_ROWS);
            await copy.add(await map(chunk.rows), chunk.columns);
            rows += chunk.rows.length;
            at = chunk.end;
          }
        }
        await copy.finish();
        // KEY SHARE on the command row from here to the commit: an interrupt or a new claim (FOR UPDATE) waits for
        // this commit, and a later one sees the lease gone. Taken after the transform, which may never return.
        const lease = await writer.query(`SELECT 1 FROM ${plan.commandTable} WHERE id = 1 AND running AND owner = $1 FOR KEY SHARE`, [plan.owner]);
        if (lease.rowCount !== 1) throw new LeaseLostError(plan.owner, `writing a range of "${plan.shape.table}"`);
        await writer.query("COMMIT");
        return rows;
      } catch (error) {
        // A COPY left midway: the failed COPY FROM rolls back, the reading connection is closed (the rest of its COPY unread).
        copy?.abort(error instanceof Error ? error : new Error(String(error)));
        await writer.query("ROLLBACK").catch(() => {});
        throw error;
      }
    }),
  );
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
