import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { copyRowsTransform } from "./copy-text-rows.ts";
import { TABLE } from "./items-data.ts";
import { transformItem } from "./item-transform.ts";
import { one, withClient } from "./postgres-client.ts";
import { BATCHED_UPDATE_ROWS, type ReferenceKind } from "./references.ts";
import { now } from "./timing.ts";

/** What a reference needs of the bench database. */
export interface PostgresTarget {
  url: string;
  rows: number;
  fingerprint(changed: boolean, table?: string): Promise<string>;
}

/** Throws unless `table` holds exactly the rows of `items`, changed by the (d) transform or not. */
async function checkTable(target: PostgresTarget, table: string, changed: boolean, what: string): Promise<void> {
  const [expected, found] = [await target.fingerprint(changed), await target.fingerprint(false, table)];
  if (found !== expected) throw new Error(`${what} left "${table}" not as it must be:\n  expected ${expected}\n  found    ${found}`);
}

/** Creates `table` like `items`, runs `work` on it (ms it returns), checks the result, drops it. */
async function onNewTable(target: PostgresTarget, table: string, changed: boolean, what: string, work: () => Promise<number>): Promise<number> {
  await withClient(target.url, (client) => client.query(`CREATE TABLE ${table} (LIKE ${TABLE} INCLUDING ALL)`));
  try {
    const ms = await work();
    await checkTable(target, table, changed, what);
    return ms;
  } finally {
    await withClient(target.url, (client) => client.query(`DROP TABLE IF EXISTS ${table}`));
  }
}

/** (a): `INSERT INTO items_copy SELECT * FROM items`. */
function insertSelect(target: PostgresTarget): Promise<number> {
  return onNewTable(target, `${TABLE}_copy`, false, "INSERT … SELECT", () =>
    withClient(target.url, async (client) => {
      const started = now();
      const { rowCount } = await client.query(`INSERT INTO ${TABLE}_copy SELECT * FROM ${TABLE}`);
      const ms = now() - started;
      if (rowCount !== target.rows) throw new Error(`INSERT INTO ${TABLE}_copy copied ${rowCount} rows, expected ${target.rows}`);
      return ms;
    }),
  );
}

/**
 * (p1) / (p2): `COPY (SELECT * FROM items) TO STDOUT` on one connection → each line into a row object
 * (with pg's own type parsers, or as field texts) → the (d) transform → `COPY items_new FROM STDIN` on a
 * second connection; streamed, so memory stays at a few chunks.
 */
function copyPipeline(target: PostgresTarget, parse: boolean): Promise<number> {
  const table = `${TABLE}_new`;
  return onNewTable(target, table, true, `the hand-written pipeline (${parse ? "objects" : "strings"})`, () =>
    withClient(target.url, (reader) =>
      withClient(target.url, async (writer) => {
        const { fields } = await reader.query(`SELECT * FROM ${TABLE} LIMIT 0`);
        const columns = fields.map((field) => field.name);
        const parsers = parse ? fields.map((field) => pg.types.getTypeParser(field.dataTypeID, "text") as (text: string) => unknown) : null;
        const started = now();
        await pipeline(
          reader.query(copyTo(`COPY (SELECT * FROM ${TABLE}) TO STDOUT`)),
          copyRowsTransform(columns, parsers, transformItem),
          writer.query(copyFrom(`COPY ${table} FROM STDIN`)),
        );
        return now() - started;
      }),
    ),
  );
}

/**
 * (p3) The way pgroll backfills (pkg/backfill, commit cdbe9b0f): one transaction per batch of
 * 1,000 rows in primary-key order, each batch selected `FOR NO KEY UPDATE` after the last key of the
 * one before, until a batch finds no rows (templates/sql.go, pkBatcher.updateBatch). pgroll's UPDATE sets
 * the key to itself and lets a trigger compute the new values; here the SET does the (d) change itself,
 * which spares the trigger. It runs on `items_backfill`, a copy of `items` made (and vacuumed) untimed.
 */
function batchedUpdate(target: PostgresTarget): Promise<number> {
  const table = `${TABLE}_backfill`;
  const batch = (after: string) => `WITH batch AS (
    SELECT id FROM ${table} ${after} ORDER BY id LIMIT ${BATCHED_UPDATE_ROWS} FOR NO KEY UPDATE
  ), updated AS (
    UPDATE ${table} SET name = upper(${table}.name), amount = ${table}.amount * 2 FROM batch WHERE ${table}.id = batch.id RETURNING ${table}.id
  ) SELECT max(id)::text AS last FROM updated`;
  const first = batch("");
  const next = batch("WHERE id > $1");
  return onNewTable(target, table, true, "the batched UPDATE", () =>
    withClient(target.url, async (client) => {
      await client.query(`INSERT INTO ${table} SELECT * FROM ${TABLE}`);
      await client.query(`VACUUM (ANALYZE) ${table}`);
      await client.query("CHECKPOINT").catch(() => undefined);
      const started = now();
      for (let last: string | null = null, batches = 0; ; batches++) {
        const row = await one(client, last === null ? first : next, last === null ? [] : [last]);
        if (row.last === null) break;
        last = String(row.last);
        if (batches > target.rows) throw new Error("the batched UPDATE does not end");
      }
      return now() - started;
    }),
  );
}

/** Times reference `kind` on the database of `target`, in ms. */
export function timePostgresReference(kind: ReferenceKind, target: PostgresTarget): Promise<number> {
  switch (kind) {
    case "insert-select":
      return insertSelect(target);
    case "pipeline-objects":
      return copyPipeline(target, true);
    case "pipeline-strings":
      return copyPipeline(target, false);
    case "batched-update":
      return batchedUpdate(target);
  }
}
