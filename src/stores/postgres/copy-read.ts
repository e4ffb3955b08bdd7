import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { Row } from "../../migrations/types.ts";
import { rowBuilder } from "../row-builder.ts";
import { parseIsoTimestamp } from "./timestamp-text.ts";
import { JSON_TYPE_ID, rememberDateText, rememberJsonText } from "./value-texts.ts";

/** Turns the text of one field into the value pg would return for it. */
type FieldParser = (text: string) => unknown;

/**
 * One column of rows read by COPY. Per row: the field as COPY wrote it, the value parsed from it (the
 * transform gets row objects of its own, so these stay as read), and for a Date its time and for a `json`
 * value its JSON.stringify when read, which is what "unchanged" compares for values a transform could mutate.
 */
export interface CopiedColumn {
  /** Column name. */
  name: string;
  /** pg's type id. */
  typeId: number;
  /** Each row's field in COPY text form (escaped; `\N` for NULL), ready to be written back. */
  texts: string[];
  /** Each row's value as parsed. */
  values: unknown[];
  /** Each row's Date time or `json` JSON.stringify at read time; undefined for other values. */
  marks: (number | string | undefined)[];
}

/** Rows read by COPY: the row objects for the transform, and each column as read. */
export interface CopiedRows {
  /** One object per row, keyed by column name, in key order. */
  rows: Row[];
  /** The columns, in `SELECT` order. */
  columns: CopiedColumn[];
}

const DECODE: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** Undoes COPY text escaping (`\\`, `\n`, `\t`, … and octal or hex byte escapes, which COPY TO never writes). */
function unescapeCopy(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, c: string) => {
    if (c.length > 1 || /[0-7]/.test(c)) return String.fromCharCode(c[0] === "x" ? parseInt(c.slice(1), 16) : parseInt(c, 8));
    return DECODE[c] ?? c;
  });
}

const TIMESTAMP_TYPE_ID = 1114;
const TIMESTAMPTZ_TYPE_ID = 1184;
// pg's own parsers as this thread loaded them: a parser that is still one of these may take a shortcut with
// the same result. A migration that sets its own parser (pg.types.setTypeParser) gets it called as before.
const DEFAULT_DATE_PARSER = pg.types.getTypeParser(TIMESTAMPTZ_TYPE_ID, "text");
const UNPARSED = new Set<unknown>([pg.types.getTypeParser(25, "text"), pg.types.getTypeParser(20, "text")]);

/** The parser of a column: null where pg hands the text through (text, numeric, bigint …), a shortcut for pg's timestamps. */
function parserOf(typeId: number): FieldParser | null {
  const parser = pg.types.getTypeParser(typeId, "text") as FieldParser;
  if (UNPARSED.has(parser)) return null;
  if (parser === DEFAULT_DATE_PARSER && (typeId === TIMESTAMPTZ_TYPE_ID || typeId === TIMESTAMP_TYPE_ID)) {
    return (text) => parseIsoTimestamp(text) ?? parser(text);
  }
  return parser;
}

/** Runs a parameterless `SELECT …` as `COPY (…) TO STDOUT` and returns its text: one `\n`-terminated line per row, `\t` between fields. */
export async function readCopyText(client: pg.Client, select: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(`COPY (${select}) TO STDOUT`))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Bytes of COPY text gathered before a block is handed on. Its string must stay below V8's large-object
 * size (128 kB; a two-byte string takes two per character): a string above it gets memory of its own from
 * the system, which made decoding 128 kB blocks cost 30 times as much as 32 kB ones (160 ms against 5 ms
 * for 36 MB, measured with a scratch script).
 */
const BLOCK_BYTES = 32 * 1024;

/**
 * The text of `COPY (select) TO STDOUT` as it arrives, in blocks of whole lines, so the caller works on
 * the rows while PostgreSQL still sends the rest. Leaving the loop early leaves the connection mid-COPY: close it.
 */
export async function* copyTextBlocks(client: pg.Client, select: string): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of client.query(copyTo(`COPY (${select}) TO STDOUT`))) {
    pending.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size < BLOCK_BYTES) continue;
    const data = Buffer.concat(pending);
    // A newline byte is never part of a multi-byte UTF-8 character, so the text splits cleanly after the last one.
    const end = data.lastIndexOf(10) + 1;
    pending = end < data.length ? [data.subarray(end)] : [];
    size = data.length - end;
    if (end > 0) yield data.toString("utf8", 0, end);
  }
  if (size > 0) yield Buffer.concat(pending).toString("utf8");
}

/**
 * Decodes up to `maxRows` lines of COPY text from offset `from`, each field with pg's own type parser for
 * its column in `fields`, so a transform sees exactly what a query through pg would give it. `end` is
 * where the next line starts (`text.length` after the last).
 */
export function decodeCopyText(text: string, fields: readonly pg.FieldDef[], from = 0, maxRows = Infinity): CopiedRows & { end: number } {
  const columns: CopiedColumn[] = fields.map((f) => ({ name: f.name, typeId: f.dataTypeID, texts: [], values: [], marks: [] }));
  const names = fields.map((f) => f.name);
  const parsers = fields.map((f) => parserOf(f.dataTypeID));
  const json = fields.map((f) => f.dataTypeID === JSON_TYPE_ID);
  const last = columns.length - 1;
  const build = rowBuilder(names);
  const rowValues: unknown[] = new Array(columns.length);
  const rows: Row[] = [];
  let at = from;
  while (at < text.length && rows.length < maxRows) {
    if (last < 0) at = text.indexOf("\n", at) + 1;
    for (let i = 0; i <= last; i++) {
      const end = text.indexOf(i === last ? "\n" : "\t", at);
      const field = text.slice(at, end);
      at = end + 1;
      const column = columns[i]!;
      column.texts.push(field);
      let value: unknown = null;
      let mark: number | string | undefined;
      if (field !== "\\N") {
        const unescaped = field.includes("\\") ? unescapeCopy(field) : field;
        const parse = parsers[i]!;
        value = parse === null ? unescaped : parse(unescaped);
        if (typeof value === "object" && value !== null) {
          if (value instanceof Date) mark = value.getTime();
          else if (json[i]) mark = JSON.stringify(value);
        }
      }
      column.values.push(value);
      column.marks.push(mark);
      rowValues[i] = value;
    }
    rows.push(build(rowValues));
  }
  return { rows, columns, end: at };
}

/** The columns a parameterless `select` returns, with their types. */
export async function selectFields(client: pg.Client, select: string): Promise<pg.FieldDef[]> {
  return (await client.query(`${select} LIMIT 0`)).fields;
}

/**
 * Reads a parameterless `select` through COPY and returns the row objects, whose Dates and `json` values remember their text (value-texts.ts)
 * for a writer that gets the rows without the columns they were read from.
 */
export async function selectByCopy(client: pg.Client, select: string): Promise<Row[]> {
  const fields = await selectFields(client, select);
  const { rows, columns } = decodeCopyText(await readCopyText(client, select), fields);
  for (const column of columns) {
    column.values.forEach((value, i) => {
      if (value instanceof Date) rememberDateText(value, unescapeIfNeeded(column.texts[i]!));
      else if (column.typeId === JSON_TYPE_ID && typeof value === "object" && value !== null) rememberJsonText(value, unescapeIfNeeded(column.texts[i]!));
    });
  }
  return rows;
}

function unescapeIfNeeded(text: string): string {
  return text.includes("\\") ? unescapeCopy(text) : text;
}
