import type { Statement } from "better-sqlite3";
import type { Row } from "../../migrations/types.ts";
import type { RowBatch } from "../store.ts";
import { type Connection, inWriteTransaction } from "./connection.ts";
import { quoteIdent, toBindable } from "./sql.ts";
import type { SqliteShape } from "./table-shape.ts";

/** The key expressions of a shadow table: rowid, or the primary key of a WITHOUT ROWID table. */
function keyExpressions(shape: SqliteShape): string[] {
  return shape.byRowid ? ["rowid"] : shape.keyColumns.map(quoteIdent);
}

/** Reads one keyset batch of `main.<table>` after `after`, in key order; keys travel as the leading raw columns. */
export function readRowBatch(db: Connection, shape: SqliteShape, after: unknown[] | null, limit: number): RowBatch {
  const keys = keyExpressions(shape);
  const tuple = keys.length === 1 ? keys[0]! : `(${keys.join(", ")})`;
  const params = after === null ? "" : keys.length === 1 ? "?" : `(${keys.map(() => "?").join(", ")})`;
  const where = after === null ? "" : `WHERE ${tuple} > ${params}`;
  const sql = `SELECT ${keys.join(", ")}, * FROM main.${quoteIdent(shape.table)} ${where} ORDER BY ${keys.join(", ")} LIMIT ?`;
  const stmt = db.prepare(sql).raw(true);
  const names = stmt.columns().map((c) => c.name);
  const raw = stmt.all(...(after ?? []), limit) as unknown[][];
  const rows: Row[] = [];
  const batchKeys: unknown[][] = [];
  for (const values of raw) {
    batchKeys.push(values.slice(0, keys.length));
    const row: Row = {};
    for (let i = keys.length; i < values.length; i++) row[names[i]!] = values[i];
    rows.push(row);
  }
  return { rows, keys: batchKeys };
}

/** Deletes the rows with `keys` and inserts their replacements in one transaction (null = deleted). */
export function replaceRowBatch(db: Connection, shape: SqliteShape, keys: unknown[][], rows: (Row | null)[]): void {
  const table = `main.${quoteIdent(shape.table)}`;
  const keyList = keyExpressions(shape);
  const del = db.prepare(`DELETE FROM ${table} WHERE ${keyList.map((k) => `${k} = ?`).join(" AND ")}`);
  const inserts = new Map<string, Statement<unknown[]>>();
  const writable = new Set(shape.writableColumns);
  inWriteTransaction(db, () => {
    for (const key of keys) del.run(...key);
    rows.forEach((row, i) => {
      if (row === null) return;
      const columns = Object.keys(row).filter((c) => writable.has(c));
      // Rowid tables keep their rowid, so later keyset batches and insertion order stay as they were.
      const keepRowid = shape.byRowid && (shape.rowidAlias === null || !(shape.rowidAlias in row));
      const signature = `${keepRowid ? "rowid," : ""}${columns.join("\u0000")}`;
      let insert = inserts.get(signature);
      if (insert === undefined) {
        const names = [...(keepRowid ? ["rowid"] : []), ...columns.map(quoteIdent)];
        const values = names.length === 0 ? "DEFAULT VALUES" : `(${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`;
        insert = db.prepare(`INSERT INTO ${table} ${values}`);
        inserts.set(signature, insert);
      }
      const params = columns.map((c) => toBindable(row[c]));
      const args: unknown[] = keepRowid ? [keys[i]![0], ...params] : params;
      insert.run(...args);
    });
  });
}
