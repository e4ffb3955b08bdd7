import type { Row } from "../../migrations/types.ts";
import { LeaseLostError } from "../lease-lost.ts";
import { holdsRunLock } from "./bookkeeping.ts";
import type { KeyRange, RowMapper } from "../store.ts";
import { type Connection, inDeferredTransaction } from "./connection.ts";
import { connectionKey, workerConnections } from "./worker-connections.ts";
import { keyExpressions, keyTuple, type SqliteRangePlan } from "./range-plan.ts";
import { PendingInserts } from "./row-writes.ts";
import { inTurn } from "../write-turns.ts";
import { quoteIdent } from "./sql.ts";

/** Rows turned into objects, transformed and into insert values at a time: their objects die young. */
const CHUNK_ROWS = 500;

/**
 * Moves one key range on this thread's own connection: reads the source rows, maps them a chunk at a time
 * into the values of their inserts (other threads write meanwhile), then, in its turn among the threads
 * (write-turns.ts), inserts them in one write transaction (`in-place` deletes the range's old rows first).
 * Returns the rows read.
 */
export function moveRangeSqlite(plan: SqliteRangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return workerConnections.use(connectionKey(plan), async (db) => {
    const { names, values, keyCount } = readRange(db, plan, range);
    const pending = new PendingInserts(plan.shape);
    for (let at = 0; at < values.length; at += CHUNK_ROWS) {
      const chunk = values.slice(at, at + CHUNK_ROWS);
      const keys = chunk.map((row) => row.slice(0, keyCount));
      const rows = chunk.map((row) => {
        const object: Row = {};
        for (let i = keyCount; i < row.length; i++) object[names[i]!] = row[i];
        return object;
      });
      pending.add(keys, await map(rows));
    }
    await inTurn(() =>
      inDeferredTransaction(db, () => {
        if (plan.route === "in-place") deleteRange(db, plan, range);
        pending.write(db);
        // Read after the first write: the shadow is write-locked now, so a reset that takes the command over waits for this commit and then deletes it.
        if (!holdsRunLock(db, plan.owner, "origin")) throw new LeaseLostError(plan.owner, `writing a range of "${plan.shape.table}"`);
      }),
    );
    return values.length;
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

/** The rows of a range as arrays of values: their keys (rowid on a rowid table) first, then the columns named by `names`. */
function readRange(db: Connection, plan: SqliteRangePlan, range: KeyRange): { names: string[]; values: unknown[][]; keyCount: number } {
  const keys = keyExpressions(plan.shape);
  const { where, values } = rangeFilter(plan, range);
  const stmt = db.prepare(`SELECT ${keys.join(", ")}, * FROM ${plan.sourceSchema}.${quoteIdent(plan.shape.table)} ${where} ORDER BY ${keys.join(", ")}`).raw(true);
  return { names: stmt.columns().map((c) => c.name), values: stmt.all(...values) as unknown[][], keyCount: keys.length };
}

function deleteRange(db: Connection, plan: SqliteRangePlan, range: KeyRange): void {
  const { where, values } = rangeFilter(plan, range);
  db.prepare(`DELETE FROM main.${quoteIdent(plan.shape.table)} ${where}`).run(...values);
}
