import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Row } from "../../migrations/types.ts";
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
    const byName = new Map(read?.filter((c) => this.same.has(c.name)).map((c) => [c.name, c]));
    for (const { signature, columns, rows, positions } of groupByColumns(this.target.writableColumns, results)) {
      let group = this.groups.get(signature);
      if (group === undefined) {
        group = { columns, parts: [], bare: 0 };
        this.groups.set(signature, group);
      }
      if (columns.length === 0) {
        group.bare += rows.length;
        continue;
      }
      const sources = read && { columns: columns.map((c) => byName.get(c)), positions };
      group.parts.push(Buffer.from(copyText(rows, columns, this.json, sources)));
    }
  }

  /** COPYs what was added, one COPY per set of columns. */
  async write(client: pg.Client): Promise<void> {
    const table = qualify(this.target.schema, this.target.table);
    for (const { columns, parts, bare } of this.groups.values()) {
      for (let i = 0; i < bare; i++) await client.query(`INSERT INTO ${table} DEFAULT VALUES`);
      if (parts.length === 0) continue;
      const stream = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(", ")}) FROM STDIN`));
      await new Promise<void>((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", reject);
        for (const part of parts) stream.write(part);
        stream.end();
      });
    }
  }
}

interface Group {
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
