import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Row } from "../../migrations/types.ts";
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
  const json = new Set(target.jsonColumns);
  const table = qualify(target.schema, target.table);
  for (const [columns, rows] of groupByColumns(target.writableColumns, results)) {
    if (columns.length === 0) {
      for (const _ of rows) await client.query(`INSERT INTO ${table} DEFAULT VALUES`);
      continue;
    }
    const stream = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(", ")}) FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
      stream.end(copyText(rows, columns, json));
    });
  }
}

/** Rows grouped by the writable columns they set, in table column order. */
function groupByColumns(writable: readonly string[], rows: readonly (Row | null)[]): Map<string[], Row[]> {
  const bySignature = new Map<string, { columns: string[]; rows: Row[] }>();
  for (const row of rows) {
    if (row === null) continue;
    const columns = writable.filter((c) => c in row);
    const signature = columns.join("\u0000");
    const group = bySignature.get(signature);
    if (group === undefined) bySignature.set(signature, { columns, rows: [row] });
    else group.rows.push(row);
  }
  return new Map([...bySignature.values()].map((g) => [g.columns, g.rows]));
}
