/** ` on the row with key (id) = (42)` for a row's key columns and values, or nothing without key columns. */
export function rowKeyText(keyColumns: readonly string[], values: readonly unknown[]): string {
  if (keyColumns.length === 0) return "";
  const shown = values.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v)));
  return ` on the row with key (${keyColumns.join(", ")}) = (${shown.join(", ")})`;
}

/**
 * A row a transform returned that the database would not store (a NOT NULL, CHECK or unique constraint, a
 * value of the wrong type): names the table, the row's key and, when the database says it, the column.
 */
export class RowRefusedError extends Error {
  override readonly name = "RowRefusedError";

  constructor(table: string, key: string, reason: string, column: string | undefined, options?: ErrorOptions) {
    const where = column === undefined || reason.includes(column) ? "" : ` (column "${column}")`;
    super(`The transform of table "${table}" failed${key}: the database refused the row it returned${where}: ${reason}`, options);
  }
}
