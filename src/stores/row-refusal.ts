/** `(id) = (42)` for a row's key columns and values; empty without key columns. */
export function keyText(keyColumns: readonly string[], values: readonly unknown[]): string {
  if (keyColumns.length === 0) return "";
  const shown = values.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v)));
  return `(${keyColumns.join(", ")}) = (${shown.join(", ")})`;
}

/** ` on the row with key (id) = (42)` for a row's key columns and values, or nothing without key columns. */
export function rowKeyText(keyColumns: readonly string[], values: readonly unknown[]): string {
  const key = keyText(keyColumns, values);
  return key === "" ? "" : ` on the row with key ${key}`;
}

/**
 * A row the database would not store in a shadow copy (a NOT NULL, CHECK or unique constraint, a value of
 * the wrong type), as a transform returned it or as a captured change brought it: names the table, the
 * row's key (`keyText`, empty when unknown) and, when the database says it, the column.
 */
export class RowRefusedError extends Error {
  override readonly name = "RowRefusedError";

  constructor(table: string, key: string, reason: string, column: string | undefined, options?: ErrorOptions) {
    const row = key === "" ? "a row" : `the row with key ${key}`;
    const where = column === undefined || reason.includes(column) ? "" : ` (column "${column}")`;
    super(`Table "${table}" refused ${row}${where}: ${reason}`, options);
  }
}
