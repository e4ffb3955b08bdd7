import type { Row } from "../../migrations/types.ts";
import type { RowBatch } from "../store.ts";
import { inTransaction, type PoolClient } from "./pg-pool.ts";
import { qualify, quoteIdent } from "./sql.ts";
import type { PgShape } from "./table-shape.ts";

/** Most bind parameters one statement may carry (the protocol limit is 65535). */
const MAX_PARAMS = 30_000;

function requireKey(shape: PgShape): void {
  if (shape.keyColumns.length === 0) {
    throw new Error(
      `Table "${shape.table}" has no primary key: a transform on PostgreSQL reads rows in primary key order, so add one (ctid is not stable)`,
    );
  }
}

/** `(k1, k2)` and the text parameters cast back to the key types: `($1::integer, $2::text)`. */
function keyTuple(shape: PgShape, first: number): { columns: string; params: string } {
  const columns = shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  const params = shape.keyTypes.map((type, i) => `$${first + i}::text::${type}`).join(", ");
  return { columns: `(${columns})`, params: `(${params})` };
}

/**
 * Reads one keyset batch after `after`, in primary key order. Keys travel as text (the leading columns),
 * so every key type (timestamps with microseconds, numerics) round-trips exactly.
 */
export async function readRowBatch(client: PoolClient, shape: PgShape, after: unknown[] | null, limit: number): Promise<RowBatch> {
  requireKey(shape);
  const { columns, params } = keyTuple(shape, 1);
  const where = after === null ? "" : `WHERE ${columns} > ${params}`;
  const keyText = shape.keyColumns.map((k, i) => `t.${quoteIdent(k)}::text AS _key${i}`).join(", ");
  const order = shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  const result = await client.query<unknown[]>({
    text: `SELECT ${keyText}, t.* FROM ${qualify(shape.schema, shape.table)} t ${where} ORDER BY ${order} LIMIT $${(after?.length ?? 0) + 1}`,
    values: [...(after ?? []), limit],
    rowMode: "array",
  });
  const names = result.fields.map((f) => f.name);
  const width = shape.keyColumns.length;
  const rows: Row[] = [];
  const keys: unknown[][] = [];
  for (const values of result.rows) {
    keys.push(values.slice(0, width));
    const row: Row = {};
    for (let i = width; i < values.length; i++) row[names[i]!] = values[i];
    rows.push(row);
  }
  return { rows, keys };
}

/** Deletes the rows with `keys` and inserts their replacements in one transaction; missing columns get their default. */
export async function replaceRowBatch(client: PoolClient, shape: PgShape, keys: unknown[][], rows: (Row | null)[]): Promise<void> {
  requireKey(shape);
  const table = qualify(shape.schema, shape.table);
  await inTransaction(client, async () => {
    const casts = shape.keyTypes.map((type, i) => `u.k${i}::${type}`).join(", ");
    const arrays = shape.keyTypes.map((_, i) => `$${i + 1}::text[]`).join(", ");
    const aliases = shape.keyTypes.map((_, i) => `k${i}`).join(", ");
    await client.query(
      `DELETE FROM ${table} WHERE (${shape.keyColumns.map(quoteIdent).join(", ")}) IN
       (SELECT ${casts} FROM unnest(${arrays}) AS u(${aliases}))`,
      shape.keyColumns.map((_, i) => keys.map((key) => key[i])),
    );
    for (const [columns, group] of groupByColumns(shape, rows)) await insertGroup(client, table, columns, group);
  });
}

/** Rows grouped by the writable columns they set, in table column order. */
function groupByColumns(shape: PgShape, rows: (Row | null)[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    if (row === null) continue;
    const columns = shape.writableColumns.filter((c) => c in row);
    const signature = JSON.stringify(columns);
    const group = groups.get(signature);
    if (group === undefined) groups.set(signature, [row]);
    else group.push(row);
  }
  return groups;
}

async function insertGroup(client: PoolClient, table: string, signature: string, rows: Row[]): Promise<void> {
  const columns = JSON.parse(signature) as string[];
  if (columns.length === 0) {
    for (const _ of rows) await client.query(`INSERT INTO ${table} DEFAULT VALUES`);
    return;
  }
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const names = columns.map(quoteIdent).join(", ");
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const slots = columns.map((column) => {
        values.push(row[column] ?? null);
        return `$${values.length}`;
      });
      return `(${slots.join(", ")})`;
    });
    // OVERRIDING SYSTEM VALUE: a GENERATED ALWAYS identity key keeps the row's id.
    await client.query(`INSERT INTO ${table} (${names}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(", ")}`, values);
  }
}
