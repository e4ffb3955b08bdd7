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
const ROW_SAMPLE = 1_000;

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
  const rowBytes = await sampledRowBytes(client, qualify(sourceSchema, table));
  return { dialect: "postgres", route, shape, rowBytes, url, sourceSchema, jsonColumns: rows.map((r) => r.attname), ...lease };
}

/** Fewest pages a row-size sample reads (all of a smaller table): about 512 kB. */
const SAMPLE_PAGES = 64;

/**
 * Average bytes of a row of `source` as COPY text (0 when empty), over about ROW_SAMPLE rows: from pages
 * sampled all over the table (TABLESAMPLE SYSTEM, at a rate the statistics' row count sets, and at least
 * SAMPLE_PAGES of its pages), so a table whose later rows are wider than its first
 * ones is seen as it is; its first rows when the sample finds none. The text form counts TOASTed values
 * whole, as a range reads them.
 */
async function sampledRowBytes(client: PoolClient, source: string): Promise<number> {
  const average = async (sample: string, limit: number): Promise<number | null> => {
    const { rows } = await client.query<{ bytes: string | null }>(
      `SELECT avg(octet_length(t::text)) AS bytes FROM (SELECT * FROM ${source} ${sample} LIMIT ${limit}) t`,
    );
    return rows[0]?.bytes == null ? null : Number(rows[0].bytes);
  };
  const { rows } = await client.query<{ tuples: number; pages: number }>(
    `SELECT reltuples::float8 AS tuples, pg_relation_size(oid)::float8 / current_setting('block_size')::float8 AS pages
     FROM pg_class WHERE oid = $1::regclass`,
    [source],
  );
  const { tuples = -1, pages = 0 } = rows[0] ?? {};
  // The rate that gives ROW_SAMPLE rows by the statistics (reltuples is -1 before the first ANALYZE or VACUUM),
  // and at least SAMPLE_PAGES pages: a few pages of a small table would be a sample of a few stretches of keys.
  // The sample is cut at 10 times as many rows (the table grew since the statistics), never at fewer: a cut
  // keeps the first pages, which would hide wider rows at the end.
  const byPages = pages > 0 ? (100 * SAMPLE_PAGES) / pages : null;
  const rate = tuples > 0 ? Math.max((100 * ROW_SAMPLE) / tuples, byPages ?? 0) : byPages;
  const sampled = rate === null ? null : await average(`TABLESAMPLE SYSTEM (${Math.min(100, rate)})`, 10 * ROW_SAMPLE);
  return sampled ?? (await average("", ROW_SAMPLE)) ?? 0;
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

/** Range ends one query finds: each a further index scan of a range, so a table costs a round trip per 16 ranges. */
const ENDS_PER_QUERY = 16;

/** Range ends found ahead, per plan (the main thread's plan object): the key the next one follows, and the ends. */
const endsAhead = new WeakMap<PgRangePlan, { after: unknown[] | null; rows: number; ends: (unknown[] | null)[] }>();

/** Key types whose values are integers: a range of `rows` consecutive values holds at most `rows` rows. */
const INTEGER_TYPES = new Set(["smallint", "integer", "bigint"]);

/** Per plan: the smallest and largest key of a table keyed by one integer column whose keys are dense, or null. */
const denseKeys = new WeakMap<PgRangePlan, { min: bigint; max: bigint } | null>();

/**
 * The smallest and largest key when the plan's source has one integer key column whose values are dense
 * (the span of its keys is at most twice the rows the statistics count), else null. Two index lookups.
 */
async function denseKeysOf(client: PoolClient, plan: PgRangePlan): Promise<{ min: bigint; max: bigint } | null> {
  if (denseKeys.has(plan)) return denseKeys.get(plan)!;
  const { shape } = plan;
  let dense: { min: bigint; max: bigint } | null = null;
  if (shape.keyColumns.length === 1 && INTEGER_TYPES.has(shape.keyTypes[0]!)) {
    const source = qualify(plan.sourceSchema, shape.table);
    const { rows } = await client.query<{ min: string | null; max: string | null; tuples: number | null }>(
      `SELECT min(t.${quoteIdent(shape.keyColumns[0]!)})::text AS min, max(t.${quoteIdent(shape.keyColumns[0]!)})::text AS max,
              (SELECT reltuples FROM pg_class WHERE oid = $1::regclass)::float8 AS tuples FROM ${source} t`,
      [source],
    );
    const { min, max, tuples } = rows[0]!;
    if (min !== null && max !== null && tuples !== null && tuples > 0 && BigInt(max) - BigInt(min) + 1n <= BigInt(Math.ceil(tuples * 2))) {
      dense = { min: BigInt(min), max: BigInt(max) };
    }
  }
  denseKeys.set(plan, dense);
  return dense;
}

/**
 * The key of the `rows`-th row after `after` in the plan's source, as text values, or null when fewer remain.
 * A table keyed by dense integers (denseKeysOf) is cut by key value instead, at no cost: `rows` consecutive
 * key values, which hold at most `rows` rows. Otherwise finds the next ends too and answers the calls that
 * follow `after` from them. An end found ahead stays a valid boundary whatever is written meanwhile; a
 * range only holds more or fewer rows.
 */
export async function rangeEndOf(client: PoolClient, plan: PgRangePlan, after: unknown[] | null, rows: number): Promise<unknown[] | null> {
  const dense = await denseKeysOf(client, plan);
  if (dense !== null) {
    const end = (after === null ? dense.min - 1n : BigInt(String(after[0]))) + BigInt(rows);
    return end >= dense.max ? null : [end.toString()];
  }
  const ahead = endsAhead.get(plan);
  if (ahead !== undefined && ahead.rows === rows && ahead.ends.length > 0 && sameKey(ahead.after, after)) {
    const end = ahead.ends.shift()!;
    ahead.after = end;
    return end;
  }
  const ends: (unknown[] | null)[] = await rangeEndsAfter(client, plan, after, rows, ENDS_PER_QUERY);
  if (ends.length < ENDS_PER_QUERY) ends.push(null);
  const end = ends.shift()!;
  endsAhead.set(plan, { after: end, rows, ends: end === null ? [] : ends });
  return end;
}

function sameKey(a: unknown[] | null, b: unknown[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Up to `count` successive range ends after `after`, each `rows` rows past the one before, as key texts (fewer: the source ends). */
async function rangeEndsAfter(client: PoolClient, plan: PgRangePlan, after: unknown[] | null, rows: number, count: number): Promise<unknown[][]> {
  const { shape } = plan;
  const source = qualify(plan.sourceSchema, shape.table);
  const key = shape.keyColumns.map((k) => `t.${quoteIdent(k)}`);
  const named = key.map((k, i) => `${k} AS k${i}`).join(", ");
  const order = key.join(", ");
  const offset = `$${(after?.length ?? 0) + 1}`;
  const where = after === null ? "" : `WHERE ${keyColumnsOf(shape)} > ${keyParams(shape, 1)}`;
  const previous = `(${key.map((_, i) => `e.k${i}`).join(", ")})`;
  const result = await client.query<unknown[]>({
    text: `WITH RECURSIVE e AS (
        (SELECT ${named}, 1 AS i FROM ${source} t ${where} ORDER BY ${order} OFFSET ${offset} LIMIT 1)
        UNION ALL
        SELECT n.*, e.i + 1 FROM e CROSS JOIN LATERAL
          (SELECT ${named} FROM ${source} t WHERE ${keyColumnsOf(shape)} > ${previous} ORDER BY ${order} OFFSET ${offset} LIMIT 1) n
        WHERE e.i < $${(after?.length ?? 0) + 2})
      SELECT ${key.map((_, i) => `k${i}::text`).join(", ")} FROM e ORDER BY i`,
    values: [...(after ?? []), rows - 1, count],
    rowMode: "array",
  });
  return result.rows;
}
