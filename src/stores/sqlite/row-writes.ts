import type { Statement } from "better-sqlite3";
import type { Row } from "../../migrations/types.ts";
import type { Connection } from "./connection.ts";
import { quoteIdent, toBindable } from "./sql.ts";
import type { SqliteShape } from "./table-shape.ts";

/**
 * Inserts transform results into `<schema>.<table>` (default `main`) with one prepared statement per set of columns (null =
 * row dropped). Rowid tables keep each row's rowid (`keys`), so key order and later ranges stay as they were.
 */
export function insertRows(db: Connection, shape: SqliteShape, keys: readonly unknown[][], rows: readonly (Row | null)[], schema = "main"): void {
  const table = `${schema}.${quoteIdent(shape.table)}`;
  const inserts = new Map<string, Statement<unknown[]>>();
  const writable = new Set(shape.writableColumns);
  rows.forEach((row, i) => {
    if (row === null) return;
    const columns = Object.keys(row).filter((c) => writable.has(c));
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
    insert.run(...(keepRowid ? [keys[i]![0], ...params] : params));
  });
}
