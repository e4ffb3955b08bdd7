import Database from "better-sqlite3";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { openConnection, shadowPathOf } from "../../src/stores/sqlite/connection.ts";
import { dropTablesInPieces, STAGED_PREFIX, stageTable } from "../../src/stores/sqlite/staged-copy.ts";
import { FIRST_CHUNK_ROWS, MAX_CHUNK_ROWS, TARGET_HOLD_MS, TimedChunks } from "../../src/stores/sqlite/timed-chunks.ts";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

const PEOPLE = `
  CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT COLLATE NOCASE, score REAL);
  CREATE UNIQUE INDEX "Person Email" ON person (email);
  CREATE INDEX person_name ON person (name DESC, score) WHERE score > 0;
  CREATE INDEX person_lower ON person (lower(email));
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
    INSERT INTO person SELECT i, 'u' || i || '@x', 'Name ' || (i % 700), (i % 13) - 3 FROM n;`;

const LEFTOVERS = "SELECT type, name FROM sqlite_schema WHERE name LIKE '\\_migration\\_staged\\_%' ESCAPE '\\' OR name LIKE '\\_migration\\_old\\_%' ESCAPE '\\' ORDER BY name";

/** A fixture whose `person` table was migrated (a plain copy, captured), ready to finalize. */
async function migrated(): Promise<EngineFixture> {
  const f = new EngineFixture(PEOPLE);
  f.write("0001_copy.mjs", `export default { tables: ["person"] };`);
  expect((await f.run("migrate")).exception).toBeNull();
  return f;
}

/** A connection to the database with the shadow file attached, as the finalize has it. */
function finalizeConnection(f: EngineFixture): Database.Database {
  const db = openConnection(f.dbPath);
  db.prepare("ATTACH DATABASE ? AS shadow").run(shadowPathOf(f.dbPath));
  return db;
}

/** Index name, uniqueness, partial flag and its columns (with collation and order), as SQLite reads them back. */
function indexShapes(db: Database.Database, schema: string, table: string, prefix = ""): unknown[] {
  const list = db.prepare(`SELECT name, "unique", partial FROM pragma_index_list(?, ?) WHERE origin = 'c' ORDER BY name`).all(table, schema) as { name: string }[];
  return list.map((index) => ({
    ...index,
    name: index.name.slice(prefix.length),
    columns: db.prepare(`SELECT seqno, cid, name, "desc", coll, "key" FROM pragma_index_xinfo(?, ?)`).all(index.name, schema),
  }));
}

describe("SQLite staging in short write transactions", () => {
  it("sizes each chunk from the last one's hold: fewer rows after a long hold, at most twice as many after a short one, within bounds", () => {
    const chunks = new TimedChunks();
    expect(chunks.rows).toBe(FIRST_CHUNK_ROWS);
    chunks.record(TARGET_HOLD_MS * 10);
    expect(chunks.rows).toBe(FIRST_CHUNK_ROWS / 10);
    chunks.record(TARGET_HOLD_MS / 100);
    expect(chunks.rows).toBe(FIRST_CHUNK_ROWS / 5);
    chunks.record(100_000);
    expect(chunks.rows).toBe(1);
    for (let i = 0; i < 40; i++) chunks.record(0);
    expect(chunks.rows).toBe(MAX_CHUNK_ROWS);
  });

  it("a staged copy whose indexes were created empty and kept by the chunks equals the shadow copy: rows, index names and definitions", async () => {
    fx = await migrated();
    const db = finalizeConnection(fx);
    try {
      await stageTable(db, "person");
      const staged = `${STAGED_PREFIX}person`;
      expect(indexShapes(db, "main", staged, STAGED_PREFIX)).toEqual(indexShapes(db, "shadow", "person"));
      expect(indexShapes(db, "main", staged).length).toBe(3);
      const digest = (schema: string, table: string) =>
        db.prepare(`SELECT count(*) AS n, sum(id), group_concat(email, ',') AS emails FROM (SELECT * FROM ${schema}."${table}" ORDER BY id)`).get();
      expect(digest("main", staged)).toEqual(digest("shadow", "person"));
      expect(db.prepare("PRAGMA main.integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      // The unique index refuses a duplicate in the staged copy as it does in the shadow copy.
      expect(() => db.prepare(`INSERT INTO "${staged}" (email, name, score) VALUES ('u7@x', 'x', 1)`).run()).toThrow(/UNIQUE constraint failed/);
    } finally {
      db.close();
    }
  }, 300_000);

  it("releases the write lock between chunks: an application writer that never waits (busy_timeout 0) in another thread gets in during the staging", async () => {
    fx = await migrated();
    fx.origin.exec("CREATE TABLE app_log (id INTEGER PRIMARY KEY, at REAL)");
    const db = finalizeConnection(fx);
    const writer = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const Database = require(workerData.driver);
       const db = new Database(workerData.path);
       db.pragma("busy_timeout = 0");
       const insert = db.prepare("INSERT INTO app_log (at) VALUES (?)");
       let stop = false, wrote = 0, refused = 0;
       parentPort.on("message", () => { stop = true; });
       const tick = () => {
         if (stop) { db.close(); parentPort.postMessage({ wrote, refused }); return; }
         try { insert.run(Date.now()); wrote++; } catch (e) { if (!String(e.code).startsWith("SQLITE_BUSY")) throw e; refused++; }
         setTimeout(tick, 1);
       };
       parentPort.postMessage("ready");
       tick();`,
      { eval: true, workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), path: fx.dbPath } },
    );
    try {
      await new Promise((resolve) => writer.once("message", resolve));
      const before = Number(fx.origin.prepare("SELECT count(*) FROM app_log").pluck().get());
      await stageTable(db, "person");
      const during = Number(fx.origin.prepare("SELECT count(*) FROM app_log").pluck().get()) - before;
      expect(during).toBeGreaterThan(0);
    } finally {
      const stopped = new Promise((resolve) => writer.once("message", resolve));
      writer.postMessage("stop");
      await stopped;
      await writer.terminate();
      db.close();
    }
  }, 300_000);

  it("a staging cut off midway (the process gone) leaves a partial staged copy that the next finalize drops before it swaps", async () => {
    fx = await migrated();
    const db = finalizeConnection(fx);
    const staging = stageTable(db, "person");
    const staged = `${STAGED_PREFIX}person`;
    // Let it copy some rows, then take its connection away between two chunks, as a crash would.
    for (let n = 0; n === 0; ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      n = Number(fx.origin.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = ?`).pluck().get(staged)) > 0
        ? Number(fx.origin.prepare(`SELECT count(*) FROM "${staged}"`).pluck().get())
        : 0;
    }
    db.close();
    await expect(staging).rejects.toThrow(/not open/);
    expect(fx.rows(LEFTOVERS).map((r) => r.name)).toEqual([`${STAGED_PREFIX}Person Email`, staged, `${STAGED_PREFIX}person_lower`, `${STAGED_PREFIX}person_name`]);
    expect(Number(fx.rows(`SELECT count(*) AS n FROM "${staged}"`)[0]!.n)).toBeLessThan(8000);

    const run = await fx.run("finalize");
    expect(run.exception).toBeNull();
    expect(fx.rows(LEFTOVERS)).toEqual([]);
    expect(fx.rows("SELECT count(*) AS n FROM person")).toEqual([{ n: 8000 }]);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'person' ORDER BY name")).toEqual([
      { name: "Person Email" }, { name: "person_lower" }, { name: "person_name" },
    ]);
  }, 300_000);

  it("drops a table with its indexes piece by piece, leaving nothing behind", async () => {
    fx = new EngineFixture(PEOPLE);
    const db = openConnection(fx.dbPath);
    try {
      await dropTablesInPieces(db, ["person"]);
    } finally {
      db.close();
    }
    expect(fx.rows("SELECT name FROM sqlite_schema")).toEqual([]);
  }, 300_000);
});
