import type { Row } from "../../migrations/types.ts";
import { LeaseLostError } from "../lease-lost.ts";
import { holdsRunLock } from "./bookkeeping.ts";
import type { KeyRange, RowMapper } from "../store.ts";
import { type Connection, inDeferredTransaction } from "./connection.ts";
import { connectionKey, workerConnections } from "./worker-connections.ts";
import { keyExpressions, keyTuple, type SqliteRangePlan } from "./range-plan.ts";
import { insertRows } from "./row-writes.ts";
import { quoteIdent } from "./sql.ts";

/**
 * Moves one key range on this thread's own connection: reads the source rows, maps them (other threads
 * write meanwhile), then inserts the results in one write transaction of prepared statements (`in-place`
 * deletes the range's old rows first). Returns the rows read.
 */
export function moveRangeSqlite(plan: SqliteRangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return workerConnections.use(connectionKey(plan), async (db) => {
    const { rows, keys } = readRange(db, plan, range);
    const results = await map(rows);
    inDeferredTransaction(db, () => {
      if (plan.route === "in-place") deleteRange(db, plan, range);
      insertRows(db, plan.shape, keys, results);
      // Read after the first write: the shadow is write-locked now, so a reset that takes the command over waits for this commit and then deletes it.
      if (!holdsRunLock(db, plan.owner, "origin")) throw new LeaseLostError(plan.owner, `writing a range of "${plan.shape.table}"`);
    });
    return rows.length;
  });
}

function rangeFilter(plan: SqliteRangePlan, range: KeyRange): { where: string; values: unknown[] } {
  const { key, params } = keyTuple(plan.shape);
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (range.after !== null) {
    conditions.push(`${key} > ${params}`);
    values.push(...range.after);
  }
  if (range.upTo !== null) {
    conditions.push(`${key} <= ${params}`);
    values.push(...range.upTo);
  }
  return { where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, values };
}

/** The rows of a range with their keys (the leading raw columns of each result row). */
function readRange(db: Connection, plan: SqliteRangePlan, range: KeyRange): { rows: Row[]; keys: unknown[][] } {
  const keys = keyExpressions(plan.shape);
  const { where, values } = rangeFilter(plan, range);
  const stmt = db.prepare(`SELECT ${keys.join(", ")}, * FROM ${plan.sourceSchema}.${quoteIdent(plan.shape.table)} ${where} ORDER BY ${keys.join(", ")}`).raw(true);
  const names = stmt.columns().map((c) => c.name);
  const rows: Row[] = [];
  const rowKeys: unknown[][] = [];
  for (const values_ of stmt.iterate(...values) as Iterable<unknown[]>) {
    rowKeys.push(values_.slice(0, keys.length));
    const row: Row = {};
    for (let i = keys.length; i < values_.length; i++) row[names[i]!] = values_[i];
    rows.push(row);
  }
  return { rows, keys: rowKeys };
}

function deleteRange(db: Connection, plan: SqliteRangePlan, range: KeyRange): void {
  const { where, values } = rangeFilter(plan, range);
  db.prepare(`DELETE FROM main.${quoteIdent(plan.shape.table)} ${where}`).run(...values);
}
