import type { RangePlan, TransformRoute } from "../store.ts";
import type { PoolClient } from "./pg-pool.ts";
import type { Schemas } from "./shadow-schema.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { type PgShape, readShape } from "./table-shape.ts";

/** A PostgreSQL range plan: where a worker connects, which table it reads and which it writes. */
export interface PgRangePlan extends RangePlan {
  /** Always `"postgres"`. */
  dialect: "postgres";
  /** The shadow table's shape, with its schema and key types. */
  shape: PgShape;
  /** Connection string of the store (a worker opens its own connection). */
  url: string;
  /** Schema the rows are read from: the origin (`stream`) or the shadow (`in-place`). */
  sourceSchema: string;
  /** Writable columns of JSON type: objects and arrays are written to them as JSON text. */
  jsonColumns: string[];
  /** The qualified command table, whose row fences each range write by `owner`. */
  commandTable: string;
}

/** Rows sampled to estimate the average row size. */
const ROW_SAMPLE = 200;

/** The `PgRangePlan` of a shadow table; throws when the table has no primary key to split it by. */
export async function buildRangePlan(
  client: PoolClient, schemas: Schemas, url: string, table: string, route: TransformRoute, lease: { owner: string; commandTable: string },
): Promise<PgRangePlan> {
  // An empty stream copy gets its key only after the rows are in: its columns are the copy's (declared new
  // columns included), its key the origin's.
  const shadow = await readShape(client, schemas.shadow, table);
  const keyed = route === "stream" ? await readShape(client, schemas.origin, table) : shadow;
  const shape = { ...shadow, keyColumns: keyed.keyColumns, keyTypes: keyed.keyTypes };
  requireKey(shape);
  const { rows } = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND coalesce(NULLIF((SELECT t.typbasetype FROM pg_type t WHERE t.oid = a.atttypid), 0), a.atttypid) IN ('json'::regtype, 'jsonb'::regtype)`,
    [qualify(schemas.shadow, table)],
  );
  const sourceSchema = route === "stream" ? schemas.origin : schemas.shadow;
  const { rows: sample } = await client.query<{ bytes: string | null }>(
    `SELECT avg(octet_length(t::text)) AS bytes FROM (SELECT * FROM ${qualify(sourceSchema, table)} LIMIT ${ROW_SAMPLE}) t`,
  );
  return {
    dialect: "postgres", route, shape, rowBytes: Number(sample[0]?.bytes ?? 0), url, sourceSchema, jsonColumns: rows.map((r) => r.attname), ...lease,
  };
}

/** Throws the error a transform of a table without primary key gets on PostgreSQL. */
function requireKey(shape: PgShape): void {
  if (shape.keyColumns.length === 0) {
    throw new Error(
      `Table "${shape.table}" has no primary key: a transform on PostgreSQL reads rows in primary key order, so add one (ctid is not stable)`,
    );
  }
}

/** `(t.k1, t.k2)` of a shape's key. */
export function keyColumnsOf(shape: PgShape): string {
  return `(${shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ")})`;
}

/** Text parameters from `$first` cast back to the key types: `($1::text::integer, $2::text::text)`. */
function keyParams(shape: PgShape, first: number): string {
  return keyValues(shape, shape.keyTypes.map((_, i) => `$${first + i}`));
}

/** Key texts (placeholders or literals) cast back to the key types: `(x::text::integer, y::text::text)`. */
export function keyValues(shape: PgShape, texts: readonly string[]): string {
  return `(${shape.keyTypes.map((type, i) => `${texts[i]}::text::${type}`).join(", ")})`;
}

/** The key of the `rows`-th row after `after` in the plan's source, as text values, or null when fewer remain. */
export async function rangeEndOf(client: PoolClient, plan: PgRangePlan, after: unknown[] | null, rows: number): Promise<unknown[] | null> {
  const { shape } = plan;
  const keyText = shape.keyColumns.map((k) => `t.${quoteIdent(k)}::text`).join(", ");
  const where = after === null ? "" : `WHERE ${keyColumnsOf(shape)} > ${keyParams(shape, 1)}`;
  const order = shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  const result = await client.query<unknown[]>({
    text: `SELECT ${keyText} FROM ${qualify(plan.sourceSchema, shape.table)} t ${where} ORDER BY ${order} OFFSET $${(after?.length ?? 0) + 1} LIMIT 1`,
    values: [...(after ?? []), rows - 1],
    rowMode: "array",
  });
  return result.rows[0] ?? null;
}
