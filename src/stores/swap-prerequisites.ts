/** Per table the swap replaces or drops, the name of the last pending migration that changes it (for messages). */
export type SwapChanges = ReadonlyMap<string, string>;

/** `migration 0004_drop_email`, or `the migrations` when no single one is known. */
export function changedByText(changes: SwapChanges, table: string): string {
  const name = changes.get(table);
  return name === undefined ? "the migrations" : `migration ${name}`;
}
