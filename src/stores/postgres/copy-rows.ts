import type { Writable } from "node:stream";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Row } from "../../migrations/types.ts";
import { keyText, RowRefusedError } from "../row-refusal.ts";
import type { CopiedColumn } from "./copy-read.ts";
import { copyText } from "./copy-text.ts";
import { qualify, quoteIdent } from "./sql.ts";

/** Where rows are COPYed: a table, its writable columns and those of JSON type (objects and arrays go there as JSON text). */
export interface CopyTarget {
  /** Schema of the table. */
  schema: string;
  /** The table. */
  table: string;
  /** Columns a row may set. */
  writableColumns: readonly string[];
  /** Writable columns of JSON type. */
  jsonColumns: readonly string[];
  /** Primary key columns, to name the row the database refuses. */
  keyColumns?: readonly string[];
}

/** COPYs the non-null rows, one COPY per set of columns the rows set (a column a row leaves out gets its default). */
export async function copyRows(client: pg.Client, target: CopyTarget, results: readonly (Row | null)[]): Promise<void> {
  const pending = new PendingCopy(target);
  pending.add(results);
  await pending.write(client);
}

/** The COPY input of one set of columns: its text so far, in buffers (off the JavaScript heap). */
interface CopyGroup {
  columns: string[];
  parts: Buffer[];
  /** Rows that set no column (inserted with DEFAULT VALUES). */
  bare: number;
  /** The key values of the rows COPYed, row after row. */
  keys: RowKeys;
}

/**
 * Rows for one table, turned into COPY text as they come (a chunk at a time, so the row objects of a chunk
 * die young), grouped by the columns they set; `write` COPYs them.
 */
export class PendingCopy {
  private readonly groups = new Map<string, CopyGroup>();
  private readonly json: ReadonlySet<string>;

  /** `same` names the columns whose text, as read, a target column takes unchanged (the same type). */
  constructor(
    private readonly target: CopyTarget,
    private readonly same: ReadonlySet<string> = new Set(),
  ) {
    this.json = new Set(target.jsonColumns);
  }

  /**
   * Adds the non-null `results`; `read`, when given, holds the columns `results[i]` was read from at position `i`,
   * and a value that comes back unchanged is written as the text it was read from.
   */
  add(results: readonly (Row | null)[], read?: readonly CopiedColumn[]): void {
    const columns = read && columnsByName(read, this.same);
    for (const group of groupByColumns(this.target.writableColumns, results)) this.addGroup(group, columns);
  }

  /** Adds one group of rows; `read` as in `add`, by column name. */
  addGroup(group: Group, read?: ReadonlyMap<string, CopiedColumn>): void {
    const { signature, columns, rows } = group;
    let pending = this.groups.get(signature);
    if (pending === undefined) {
      pending = { columns, parts: [], bare: 0, keys: new RowKeys(this.target) };
      this.groups.set(signature, pending);
    }
    if (columns.length === 0) pending.bare += rows.length;
    else {
      pending.parts.push(Buffer.from(textOf(group, this.json, read)));
      pending.keys.add(rows);
    }
  }

  /** COPYs what was added, one COPY per set of columns. */
  async write(client: pg.Client): Promise<void> {
    const table = qualify(this.target.schema, this.target.table);
    for (const { columns, parts, bare, keys } of this.groups.values()) {
      for (let i = 0; i < bare; i++) await client.query(`INSERT INTO ${table} DEFAULT VALUES`);
      if (parts.length === 0) continue;
      const stream = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(", ")}) FROM STDIN`));
      await new Promise<void>((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", (error) => reject(keys.explain(error)));
        for (const part of parts) stream.write(part);
        stream.end();
      });
    }
  }
}

/**
 * Rows for one table, COPYed as they come on an open `COPY … FROM STDIN`: the first set of columns the rows
 * set opens it, and rows that set other columns (rare) wait in a PendingCopy for `finish`. Backpressure
 * holds the caller while PostgreSQL catches up, so a range streams through in bounded memory.
 */
export class StreamingCopy {
  private stream: Writable | null = null;
  private signature: string | null = null;
  private done: Promise<void> = Promise.resolve();
  private readonly others: PendingCopy;
  private readonly json: ReadonlySet<string>;
  private readonly keys: RowKeys;

  /** `same` as for PendingCopy. */
  constructor(
    private readonly client: pg.Client,
    private readonly target: CopyTarget,
    private readonly same: ReadonlySet<string> = new Set(),
  ) {
    this.others = new PendingCopy(target, same);
    this.json = new Set(target.jsonColumns);
    this.keys = new RowKeys(target);
  }

  /** Writes the non-null `results`, read from `read` as in PendingCopy.add. */
  async add(results: readonly (Row | null)[], read?: readonly CopiedColumn[]): Promise<void> {
    const columns = read && columnsByName(read, this.same);
    for (const group of groupByColumns(this.target.writableColumns, results)) {
      if (this.signature === null && group.columns.length > 0) this.open(group);
      if (group.signature !== this.signature) {
        this.others.addGroup(group, columns);
        continue;
      }
      this.keys.add(group.rows);
      if (!this.stream!.write(textOf(group, this.json, columns))) {
        await Promise.race([new Promise((resolve) => this.stream!.once("drain", resolve)), this.done]);
      }
    }
  }

  /** Ends the COPY and writes the rows that set other columns. */
  async finish(): Promise<void> {
    this.stream?.end();
    await this.done;
    await this.others.write(this.client);
  }

  /** Fails the COPY (PostgreSQL rolls it back); the caller rolls back or closes the connection. */
  abort(error: Error): void {
    this.stream?.destroy(error);
  }

  private open(group: Group): void {
    const table = qualify(this.target.schema, this.target.table);
    const stream = this.client.query(copyFrom(`COPY ${table} (${group.columns.map(quoteIdent).join(", ")}) FROM STDIN`));
    this.done = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", (error) => reject(this.keys.explain(error)));
    });
    // Awaited in finish; a failure before that surfaces through the write that waits on it.
    this.done.catch(() => {});
    this.stream = stream;
    this.signature = group.signature;
  }
}

/** `COPY item, line 3, column qty: "abc"`: PostgreSQL's context of an error in a COPY's input. */
const COPY_CONTEXT = /^COPY [^,]+, line (\d+)(?:, column ([^:]+))?/;

/**
 * The keys of the rows one COPY sends, in order, flat (cheaper than an array per row), so that the row at the
 * line a refusal names can be told by its key.
 */
class RowKeys {
  private readonly values: unknown[] = [];
  private readonly columns: readonly string[];

  constructor(private readonly target: CopyTarget) {
    this.columns = target.keyColumns ?? [];
  }

  /** Notes the keys of `rows`, sent in this order. */
  add(rows: readonly Row[]): void {
    const { columns, values } = this;
    if (columns.length === 0) return;
    for (const row of rows) for (const column of columns) values.push(row[column]);
  }

  /** A RowRefusedError for a database error at a line of the COPY's input; any other error as it is. */
  explain(error: Error): Error {
    if (!(error instanceof pg.DatabaseError) || error.where === undefined) return error;
    const context = COPY_CONTEXT.exec(error.where);
    if (context === null) return error;
    const width = this.columns.length;
    const at = (Number(context[1]) - 1) * width;
    const key = width === 0 || at + width > this.values.length ? "" : keyText(this.columns, this.values.slice(at, at + width));
    return new RowRefusedError(this.target.table, key, error.message, error.column ?? context[2], { cause: error });
  }
}

/** The columns read that a target column takes as they are (`same`), by name. */
function columnsByName(read: readonly CopiedColumn[], same: ReadonlySet<string>): Map<string, CopiedColumn> {
  return new Map(read.filter((c) => same.has(c.name)).map((c) => [c.name, c]));
}

/** The COPY text of a group, writing back what it was read from where a value comes back unchanged. */
function textOf(group: Group, json: ReadonlySet<string>, read?: ReadonlyMap<string, CopiedColumn>): string {
  const sources = read && { columns: group.columns.map((c) => read.get(c)), positions: group.positions };
  return copyText(group.rows, group.columns, json, sources);
}

/** Rows of one set of columns. */
interface Group {
  /** Marks each writable column set ("1") or not ("0"). */
  signature: string;
  columns: string[];
  rows: Row[];
  /** Each row's index in the results. */
  positions: number[];
}

/** Rows grouped by the writable columns they set, in table column order; the signature marks each writable column set or not. */
function groupByColumns(writable: readonly string[], results: readonly (Row | null)[]): Group[] {
  const groups = new Map<string, Group>();
  let lastSignature = "";
  let lastGroup: Group | undefined;
  for (let i = 0; i < results.length; i++) {
    const row = results[i];
    if (row === null || row === undefined) continue;
    let signature = "";
    for (let c = 0; c < writable.length; c++) signature += writable[c]! in row ? "1" : "0";
    let group = lastGroup !== undefined && lastSignature === signature ? lastGroup : groups.get(signature);
    if (group === undefined) {
      group = { signature, columns: writable.filter((_, c) => signature[c] === "1"), rows: [], positions: [] };
      groups.set(signature, group);
    }
    lastSignature = signature;
    lastGroup = group;
    group.rows.push(row);
    group.positions.push(i);
  }
  return [...groups.values()];
}
