import type { RangePlan, TransformRoute } from "../store.ts";
import type { Connection } from "./connection.ts";
import { quoteIdent } from "./sql.ts";
import { readShape, type SqliteShape } from "./table-shape.ts";

/** An SQLite range plan: the two files a worker opens, and which schema it reads. */
export interface SqliteRangePlan extends RangePlan {
  /** Always `"sqlite"`. */
  dialect: "sqlite";
  /** The shadow table's shape, with its row keying. */
  shape: SqliteShape;
  /** The shadow file (opened as `main`). */
  shadowPath: string;
  /** The database file (attached as `origin`). */
  originPath: string;
  /** Schema the rows are read from: `origin` (`stream`) or `main` (`in-place`). */
  sourceSchema: "origin" | "main";
}

/** Rows sampled to estimate the average row size. */
const ROW_SAMPLE = 200;

/** The `SqliteRangePlan` of a shadow table (the session's main schema). */
export function buildRangePlan(
  db: Connection, paths: { shadowPath: string; originPath: string }, table: string, route: TransformRoute, owner: string,
): SqliteRangePlan {
  const shape = readShape(db, "main", table);
  const sourceSchema = route === "stream" ? "origin" : "main";
  // The source of a stream has the origin's columns, which may be fewer than the copy's (declared new columns).
  const size = readShape(db, sourceSchema, table).columns.map((c) => `coalesce(length(CAST(${quoteIdent(c)} AS BLOB)), 0)`).join(" + ");
  const sample = db.prepare(`SELECT avg(${size}) AS bytes FROM (SELECT * FROM ${sourceSchema}.${quoteIdent(table)} LIMIT ${ROW_SAMPLE})`).get() as { bytes: number | null };
  return { dialect: "sqlite", route, shape, rowBytes: sample.bytes ?? 0, ...paths, sourceSchema, owner };
}

/** The key expressions of a table: rowid, or the primary key of a WITHOUT ROWID table. */
export function keyExpressions(shape: SqliteShape): string[] {
  return shape.byRowid ? ["rowid"] : shape.keyColumns.map(quoteIdent);
}

/** `key` or `(k1, k2)`, and the matching placeholders. */
export function keyTuple(shape: SqliteShape): { key: string; params: string } {
  const keys = keyExpressions(shape);
  if (keys.length === 1) return { key: keys[0]!, params: "?" };
  return { key: `(${keys.join(", ")})`, params: `(${keys.map(() => "?").join(", ")})` };
}

/** The key of the `rows`-th row after `after` in the plan's source, or null when fewer remain. */
export function rangeEndOf(db: Connection, plan: SqliteRangePlan, after: unknown[] | null, rows: number): unknown[] | null {
  return keyAfter(db, plan.sourceSchema, plan.shape, after, rows);
}

/** The key of the `rows`-th row after `after` (null = from the start) of `schema.<shape.table>`, in key order; null when fewer remain. */
export function keyAfter(db: Connection, schema: string, shape: SqliteShape, after: unknown[] | null, rows: number): unknown[] | null {
  const keys = keyExpressions(shape);
  const { key, params } = keyTuple(shape);
  const where = after === null ? "" : `WHERE ${key} > ${params}`;
  const sql = `SELECT ${keys.join(", ")} FROM ${schema}.${quoteIdent(shape.table)} ${where} ORDER BY ${keys.join(", ")} LIMIT 1 OFFSET ?`;
  const row = db.prepare(sql).raw(true).get(...(after ?? []), rows - 1) as unknown[] | undefined;
  return row ?? null;
}
