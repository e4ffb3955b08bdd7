/** Quotes a PostgreSQL identifier: `order` → `"order"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a PostgreSQL string literal (standard_conforming_strings on): `it's` → `'it''s'`. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `schema.name`, both quoted. */
export function qualify(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** The SQLSTATE of a PostgreSQL error, or undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** `lock_not_available`: a lock wait hit `lock_timeout`. */
export const LOCK_NOT_AVAILABLE = "55P03";

/** Integer columns (bigint, counts) come back as strings from pg; epoch ms and counts fit a double. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** Like toNumber, keeping null. */
export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}
