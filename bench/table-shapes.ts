/**
 * The shape of the bench table: `plain` (six columns and a primary key) or `indexed` (the same with an
 * `owner_id` column, a foreign key to `owners`, and three secondary indexes, one of them UNIQUE).
 */
export type TableShape = "plain" | "indexed";

/** Rows of `owners`, the table the indexed shape's foreign key points at. */
export const OWNER_ROWS = 1_000;

const PLAIN_COLUMNS = ["id", "name", "email", "amount", "created_at", "active"] as const;

/** The columns of `items` in a shape, in table order. */
export function columnsOf(shape: TableShape): readonly string[] {
  return shape === "indexed" ? [...PLAIN_COLUMNS, "owner_id"] : PLAIN_COLUMNS;
}

/** The secondary indexes of the indexed shape, as `[name, unique, column]`; the store writes the DDL. */
export const SECONDARY_INDEXES: readonly (readonly [string, boolean, string])[] = [
  ["items_name_idx", false, "name"],
  ["items_email_key", true, "email"],
  ["items_owner_id_idx", false, "owner_id"],
];
