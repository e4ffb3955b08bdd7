import { createRequire } from "node:module";
import type { Row } from "../../migrations/types.ts";
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

/** The COPY text of `rows` for `columns` (one line per row); `json` marks the JSON columns. */
export function copyText(rows: readonly Row[], columns: readonly string[], json: ReadonlySet<string>): string {
  const flags = columns.map((c) => json.has(c));
  let text = "";
  for (const row of rows) {
    let line = "";
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) line += "\t";
      line += copyField(row[columns[i]!], flags[i]!);
    }
    text += `${line}\n`;
  }
  return text;
}
