import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** A row as the hand-written pipeline hands it to the transform: column name → value. */
export type Row = Record<string, unknown>;

const ESCAPE = /\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|([\s\S]))/g;
const SIMPLE_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPED = /[\\\n\r\t]/g;
const ESCAPES_OUT: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One field of COPY's text format as text: `\N` is NULL, backslash escapes are undone. */
export function decodeField(field: string): string | null {
  if (field === "\\N") return null;
  if (!field.includes("\\")) return field;
  return field.replace(ESCAPE, (_, octal?: string, hex?: string, char?: string) =>
    octal !== undefined ? String.fromCharCode(parseInt(octal, 8)) : hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (SIMPLE_ESCAPES[char!] ?? char!),
  );
}

/** A JS value as one field of COPY's text format. */
export function encodeField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "boolean") return value ? "t" : "f";
  else if (typeof value === "number" || typeof value === "bigint") return String(value);
  else if (value instanceof Date) return value.toISOString();
  else if (Buffer.isBuffer(value)) return `\\\\x${value.toString("hex")}`;
  else text = JSON.stringify(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, (char) => ESCAPES_OUT[char]!) : text;
}

/**
 * A stream from the output of `COPY … TO STDOUT` (text format) to the input of `COPY … FROM STDIN`: each
 * line becomes a row object (fields parsed by `parsers`, or left as their texts when `parsers` is null),
 * goes through `map`, and is written back as a line of the same columns. Memory stays at one chunk.
 */
export function copyRowsTransform(columns: readonly string[], parsers: readonly ((text: string) => unknown)[] | null, map: (row: Row) => Row): Transform {
  const decoder = new StringDecoder("utf8");
  let tail = "";
  const convert = (line: string): string => {
    const fields = line.split("\t");
    if (fields.length !== columns.length) throw new Error(`a COPY line has ${fields.length} fields, expected ${columns.length}: ${line.slice(0, 200)}`);
    const row: Row = {};
    for (let i = 0; i < columns.length; i++) {
      const text = decodeField(fields[i]!);
      row[columns[i]!] = text === null || parsers === null ? text : parsers[i]!(text);
    }
    const out = map(row);
    let written = encodeField(out[columns[0]!]);
    for (let i = 1; i < columns.length; i++) written += `\t${encodeField(out[columns[i]!])}`;
    return `${written}\n`;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const text = tail + decoder.write(chunk);
      const last = text.lastIndexOf("\n");
      tail = text.slice(last + 1);
      let out = "";
      try {
        for (let start = 0; start <= last; ) {
          const end = text.indexOf("\n", start);
          out += convert(text.slice(start, end));
          start = end + 1;
        }
      } catch (error) {
        callback(error as Error);
        return;
      }
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback: TransformCallback) {
      const rest = tail + decoder.end();
      callback(rest.length > 0 ? new Error(`COPY output ended inside a line: ${rest.slice(0, 200)}`) : null);
    },
  });
}
