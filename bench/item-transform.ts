/**
 * The (d) transform, the one definition the bench's transform migration and its hand-written pipelines
 * share: name upper-cased, amount doubled, every other column as it was. numeric arrives as a string on
 * PostgreSQL (kept at two decimals), REAL as a number on SQLite; a string stays a string either way.
 */
export function transformItem(row: Record<string, unknown>): Record<string, unknown> {
  const amount = row.amount;
  return {
    ...row,
    name: String(row.name).toUpperCase(),
    amount: typeof amount === "string" ? (Number(amount) * 2).toFixed(2) : typeof amount === "number" ? amount * 2 : amount,
  };
}
