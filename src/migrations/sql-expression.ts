/**
 * A column's new value as an SQL expression over the table's row (its columns by name), run by the database
 * inside its own copy. A plain `{ sql: "…" }` object, so a migration file needs no import to write one.
 */
export interface SqlExpression {
  /** The expression text, e.g. `first_name || ' ' || last_name`. */
  readonly sql: string;
}

/** A table's SQL-expression transform: new column values by column name; other columns keep their values. */
export type ColumnExpressions = Readonly<Record<string, SqlExpression>>;

/**
 * Tag for an SQL expression: sql`first_name || ' ' || last_name`. Interpolated strings and numbers become
 * SQL literals, `null` becomes NULL; anything else is refused, so no value is pasted in as SQL by accident.
 */
export function sql(strings: TemplateStringsArray, ...values: readonly (string | number | null)[]): SqlExpression {
  let text = strings[0]!;
  values.forEach((value, i) => {
    text += sqlLiteral(value) + strings[i + 1]!;
  });
  return { sql: text };
}

/** An SQL literal both stores read the same way: quoted text, a finite number, or NULL. */
export function sqlLiteral(value: unknown): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new TypeError(`An SQL literal must be a string, a finite number or null, not ${typeof value === "number" ? value : typeof value}`);
}

/** Whether a table's `transform` entry is the SQL-expression form (not a row function). */
export function isColumnExpressions(value: unknown): value is ColumnExpressions {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
