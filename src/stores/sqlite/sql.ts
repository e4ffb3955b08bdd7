/** Quotes an SQLite identifier: `user` → `"user"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQLite string literal: `it's` → `'it''s'`. */
export function quoteText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Converts a JavaScript value into one better-sqlite3 can bind (booleans become 0/1). */
export function toBindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

/** True when the error is SQLite's "table does not exist" (used to tell missing tables from real faults). */
export function isNoSuchTable(error: unknown): boolean {
  return error instanceof Error && /no such table/i.test(error.message);
}
