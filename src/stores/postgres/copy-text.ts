import { createRequire } from "node:module";
import type { Row } from "../../migrations/types.ts";
import type { CopiedColumn } from "./copy-read.ts";
import { originalDateText, originalJsonText } from "./value-texts.ts";

// pg's own conversion of JavaScript values to parameter text, so COPY writes what an INSERT would.
const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils.js") as { prepareValue(value: unknown): unknown };

/** COPY text format escapes: backslash, newline, carriage return and tab. */
function escapeCopy(text: string): string {
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : text;
}

const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One value as a COPY text field: `\N` for null, JSON text for objects in JSON columns, else pg's parameter text. */
export function copyField(value: unknown, json: boolean): string {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string":
      return escapeCopy(value);
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value instanceof Date) {
    const original = originalDateText(value);
    if (original !== undefined) return escapeCopy(original);
  }
  if (json && typeof value === "object" && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
    const text = JSON.stringify(value);
    return escapeCopy(originalJsonText(value, text) ?? text);
  }
  const prepared = prepareValue(value);
  if (Buffer.isBuffer(prepared)) return `\\\\x${prepared.toString("hex")}`;
  return escapeCopy(String(prepared));
}

/**
 * Where the rows of a COPY were read from: for each written column, the column it was read as (undefined
 * where none of the same type was read), and for each row its position there.
 */
export interface RowSources {
  /** Parallel to the written columns. */
  columns: readonly (CopiedColumn | undefined)[];
  /** Parallel to the rows. */
  positions: readonly number[];
}

/**
 * Whether `value` is what was read at `position` of `column`, so its text as read is its exact text: the same
 * primitive, a Date of the same time, a `json` value of the same JSON.stringify. Other objects (arrays,
 * buffers, jsonb) may have been changed in place and are written from the value.
 */
function unchanged(column: CopiedColumn, position: number, value: unknown): boolean {
  const read = column.values[position];
  if (typeof read !== "object" || read === null) return Object.is(value, read);
  const mark = column.marks[position];
  if (read instanceof Date) return value instanceof Date && value.getTime() === mark;
  return typeof mark === "string" && typeof value === "object" && value !== null && !(value instanceof Date) && JSON.stringify(value) === mark;
}

/**
 * The COPY text of `rows` for `columns` (one line per row); `json` marks the JSON columns. With `sources`,
 * a value that comes back unchanged is written as the text it was read from: exact, and no encoding.
 */
export function copyText(rows: readonly Row[], columns: readonly string[], json: ReadonlySet<string>, sources?: RowSources): string {
  const flags = columns.map((c) => json.has(c));
  const read = sources?.columns ?? columns.map(() => undefined);
  let text = "";
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const position = sources?.positions[r] ?? 0;
    let line = "";
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) line += "\t";
      const value = row[columns[i]!];
      const column = read[i];
      line += column !== undefined && unchanged(column, position, value) ? column.texts[position]! : copyField(value, flags[i]!);
    }
    text += `${line}\n`;
  }
  return text;
}
