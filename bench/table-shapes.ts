import { TABLE } from "./items-data.ts";

/**
 * The shape of the bench data: `plain` (`items`: six columns and a primary key), `indexed` (the same with an
 * `owner_id` column, a foreign key to `owners`, and three secondary indexes, one of them UNIQUE), `tables`
 * (MULTI_TABLES plain tables `items_01` … sharing the rows) or `wide` (plain plus a 2 KB text and a json column).
 */
export type TableShape = "plain" | "indexed" | "tables" | "wide";

/** Rows of `owners`, the table the indexed shape's foreign key points at. */
export const OWNER_ROWS = 1_000;

/** Tables of the `tables` shape. */
export const MULTI_TABLES = 50;

/** Length of the `body` text of a wide row, in characters. */
export const WIDE_BODY_CHARS = 2_048;

const PLAIN_COLUMNS = ["id", "name", "email", "amount", "created_at", "active"] as const;

/** The columns of each table of a shape, in table order. */
export function columnsOf(shape: TableShape): readonly string[] {
  if (shape === "indexed") return [...PLAIN_COLUMNS, "owner_id"];
  if (shape === "wide") return [...PLAIN_COLUMNS, "body", "doc"];
  return PLAIN_COLUMNS;
}

/** The tables of a shape, each holding `rows / tables.length` rows with ids 1 … that count. */
export function tablesOf(shape: TableShape): readonly string[] {
  if (shape !== "tables") return [TABLE];
  return Array.from({ length: MULTI_TABLES }, (_, i) => `${TABLE}_${String(i + 1).padStart(2, "0")}`);
}

/** The secondary indexes of the indexed shape, as `[name, unique, column]`; the store writes the DDL. */
export const SECONDARY_INDEXES: readonly (readonly [string, boolean, string])[] = [
  ["items_name_idx", false, "name"],
  ["items_email_key", true, "email"],
  ["items_owner_id_idx", false, "owner_id"],
];

/** The table an application probe writes although no migration lists it (created with every bench database). */
export const UNRELATED_TABLE = "app_events";
