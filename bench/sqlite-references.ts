import type Database from "better-sqlite3";
import { TABLE } from "./items-data.ts";
import { transformItem } from "./item-transform.ts";
import { BATCHED_UPDATE_ROWS, PIPELINE_TRANSACTION_ROWS, type ReferenceKind } from "./references.ts";
import { columnNames, createTableLike, openFile, withFile } from "./sqlite-file.ts";
import { now } from "./timing.ts";

/** What a reference needs of the bench database. */
export interface SqliteTarget {
  path: string;
  rows: number;
  fingerprint(changed: boolean, table?: string): Promise<string>;
}

/** Creates `table` like `items`, runs `work` on it (ms it returns), checks that it holds exactly the rows it must, drops it. */
async function onNewTable(target: SqliteTarget, table: string, changed: boolean, what: string, work: () => number): Promise<number> {
  withFile(target.path, (db) => createTableLike(db, table, TABLE));
  try {
    const ms = work();
    const [expected, found] = [await target.fingerprint(changed), await target.fingerprint(false, table)];
    if (found !== expected) throw new Error(`${what} left "${table}" not as it must be:\n  expected ${expected}\n  found    ${found}`);
    return ms;
  } finally {
    withFile(target.path, (db) => {
      db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.pragma("wal_checkpoint(TRUNCATE)");
    });
  }
}

/** (a): `INSERT INTO items_copy SELECT * FROM items` (SQLite's page-copy fast path between identical tables). */
function insertSelect(target: SqliteTarget): Promise<number> {
  return onNewTable(target, `${TABLE}_copy`, false, "INSERT … SELECT", () =>
    withFile(target.path, (db) => {
      const started = now();
      const { changes } = db.prepare(`INSERT INTO ${TABLE}_copy SELECT * FROM ${TABLE}`).run();
      const ms = now() - started;
      if (changes !== target.rows) throw new Error(`INSERT INTO ${TABLE}_copy copied ${changes} rows, expected ${target.rows}`);
      return ms;
    }),
  );
}

/**
 * (p1) / (p2): `SELECT * FROM items` iterated on one connection (row objects as better-sqlite3 makes them,
 * or with every column read as its text, CAST(… AS TEXT)) → the (d) transform → a prepared INSERT into
 * `items_new` on a second connection, 10,000 rows a transaction. Column affinity turns texts back into
 * numbers, so both leave the same rows.
 */
function selectInsertPipeline(target: SqliteTarget, asText: boolean): Promise<number> {
  const table = `${TABLE}_new`;
  return onNewTable(target, table, true, `the hand-written pipeline (${asText ? "strings" : "objects"})`, () => {
    const reader = openFile(target.path, true);
    const writer = openFile(target.path);
    try {
      const columns = columnNames(reader, TABLE);
      const select = reader.prepare(asText ? `SELECT ${columns.map((c) => `CAST(${c} AS TEXT) AS ${c}`).join(", ")} FROM ${TABLE}` : `SELECT * FROM ${TABLE}`);
      const insert = writer.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`);
      const insertAll = writer.transaction((rows: Record<string, unknown>[]) => {
        for (const row of rows) insert.run(row);
      });
      const started = now();
      let batch: Record<string, unknown>[] = [];
      for (const row of select.iterate() as Iterable<Record<string, unknown>>) {
        batch.push(transformItem(row));
        if (batch.length === PIPELINE_TRANSACTION_ROWS) {
          insertAll(batch);
          batch = [];
        }
      }
      insertAll(batch);
      return now() - started;
    } finally {
      reader.close();
      writer.close();
    }
  });
}

/**
 * (p3) pgroll's backfill batching (see postgres-references.ts): batches of 1,000 rows in primary-key
 * order after the last key of the batch before, one transaction each, on `items_backfill`, a copy of
 * `items` made untimed.
 */
function batchedUpdate(target: SqliteTarget): Promise<number> {
  const table = `${TABLE}_backfill`;
  const batch = (after: string) =>
    `UPDATE ${table} SET name = upper(name), amount = amount * 2 ` +
    `WHERE id IN (SELECT id FROM ${table} ${after} ORDER BY id LIMIT ${BATCHED_UPDATE_ROWS}) RETURNING id`;
  return onNewTable(target, table, true, "the batched UPDATE", () =>
    withFile(target.path, (db: Database.Database) => {
      db.exec(`INSERT INTO ${table} SELECT * FROM ${TABLE}`);
      db.pragma("wal_checkpoint(TRUNCATE)");
      const first = db.prepare(batch("")).pluck();
      const next = db.prepare(batch("WHERE id > ?")).pluck();
      const started = now();
      for (let last: number | null = null, batches = 0; ; batches++) {
        const ids = (last === null ? first.all() : next.all(last)) as number[];
        if (ids.length === 0) break;
        last = Math.max(...ids);
        if (batches > target.rows) throw new Error("the batched UPDATE does not end");
      }
      return now() - started;
    }),
  );
}

/** Times reference `kind` on the database file of `target`, in ms. */
export function timeSqliteReference(kind: ReferenceKind, target: SqliteTarget): Promise<number> {
  switch (kind) {
    case "insert-select":
      return insertSelect(target);
    case "pipeline-objects":
      return selectInsertPipeline(target, false);
    case "pipeline-strings":
      return selectInsertPipeline(target, true);
    case "batched-update":
      return batchedUpdate(target);
  }
}
