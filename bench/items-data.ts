/** The table every scenario works on. */
export const TABLE = "items";

/** The first `created_at` of the generated rows (row `id` is `id` seconds later). */
export const EPOCH_SECONDS = Date.UTC(2024, 0, 1) / 1000;

/** `name` of generated row `id`. */
export const nameOf = (id: number): string => `item-${id}`;

/** `amount` of generated row `id` (0.00 … 999.99). */
export const amountOf = (id: number): number => (id % 100_000) / 100;

/** The part of a row the spot checks look at, normalised across stores. */
export interface SpotRow {
  id: number;
  name: string;
  amount: number;
}

/** Ids the spot checks read: the first, one in the middle, the last. */
export function spotIds(rows: number): number[] {
  return [...new Set([1, Math.max(1, Math.floor(rows / 2)), rows])];
}

/**
 * Checks rows read back against the generated data, untouched or after the bench's change
 * (name upper-cased, amount doubled); throws naming the first wrong row.
 */
export function checkSpotRows(found: readonly SpotRow[], ids: readonly number[], changed: boolean): void {
  const byId = new Map(found.map((row) => [row.id, row]));
  for (const id of ids) {
    const row = byId.get(id);
    const name = changed ? nameOf(id).toUpperCase() : nameOf(id);
    const amount = changed ? amountOf(id) * 2 : amountOf(id);
    if (row === undefined) throw new Error(`row ${id} of "${TABLE}" is missing`);
    if (row.name !== name || Math.abs(row.amount - amount) > 1e-9) {
      throw new Error(`row ${id} of "${TABLE}" is ${JSON.stringify(row)}, expected name ${JSON.stringify(name)} and amount ${amount}`);
    }
  }
}
