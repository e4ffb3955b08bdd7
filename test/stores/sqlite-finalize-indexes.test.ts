import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationState } from "../../src/core/states.ts";
import { renameCreateIndex } from "../../src/stores/sqlite/index-sql.ts";
import { checkForeignKeyRows, foreignKeyWarnings, planForeignKeys } from "../../src/stores/sqlite/swap-foreign-keys.ts";
import type { SwapPlan } from "../../src/stores/store.ts";
import { claimOn } from "../helpers/claim.ts";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

const LEFTOVERS = "SELECT type, name FROM sqlite_schema WHERE name LIKE '\\_migration\\_staged\\_%' ESCAPE '\\' OR name LIKE '\\_migration\\_old\\_%' ESCAPE '\\'";

/** Rows of `sql` on a fresh connection to the database file, as another process would read them. */
function freshRows(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** Claims a finalize for the migrated migrations and returns the swap plan the engine would pass, without its drain. */
async function finalizePlan(f: EngineFixture, tables: string[]): Promise<SwapPlan> {
  const store = await f.openStore();
  const owner = `test-host:${process.pid}:direct-swap`;
  expect(await claimOn(store, owner, { command: "finalize" })).toBe(true);
  const records = (await store.snapshot()).migrations.map((m) => ({ ...m, state: MigrationState.FINALIZED }));
  return { owner, tables, records, alters: [], replayMapper: () => async (rows) => rows, closingOutput: () => "" };
}

const PEOPLE = `
  CREATE TABLE parent (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
  CREATE TABLE person (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parent(id),
    manager_id INTEGER REFERENCES person(id),
    email TEXT NOT NULL,
    name TEXT COLLATE NOCASE,
    score REAL
  );
  CREATE UNIQUE INDEX "Person Email" ON person (email);
  CREATE INDEX person_parent ON person (parent_id);
  CREATE INDEX person_name ON person (name DESC, score) WHERE score > 0;
  CREATE INDEX person_lower ON person (lower(email));
  CREATE TABLE visit (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES person(id), at INTEGER);
  CREATE INDEX visit_person ON visit (person_id);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO parent SELECT i, 'p' || i FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
    INSERT INTO person SELECT i, 1 + i % 50, CASE WHEN i > 1 THEN i / 2 END, 'u' || i || '@x', 'Name ' || (i % 700), (i % 13) - 3 FROM n;
  INSERT INTO visit (person_id, at) SELECT id, id * 10 FROM person WHERE id % 7 = 0;
  ANALYZE;`;

const INDEXES = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND name NOT LIKE '\\_migration\\_%' ESCAPE '\\' ORDER BY name";

describe("the SQLite swap and the staged copy's indexes", () => {
  it("builds the indexes before the lock; after the swap they have their names and statements, and the application's open connection uses them", async () => {
    fx = new EngineFixture(PEOPLE);
    fx.write(
      "0001_person_rank.mjs",
      `export default { tables: ["person"],
        dataDefinition: (db) => db.exec("ALTER TABLE person ADD COLUMN rank INTEGER; CREATE INDEX [person rank] ON person (rank) WHERE rank IS NOT NULL"),
        transform: { person: (row) => ({ ...row, rank: row.id % 10 === 0 ? row.id / 10 : null }) } };`,
    );
    expect((await fx.run("migrate")).exception).toBeNull();
    const app = new Database(fx.dbPath);
    app.pragma("busy_timeout = 5000");
    const byEmail = app.prepare("SELECT id, email FROM person WHERE email = ?");
    expect(byEmail.get("u20@x")).toEqual({ id: 20, email: "u20@x" });
    const expected = [...fx.rows(INDEXES), { name: "person rank", sql: "CREATE INDEX [person rank] ON person (rank) WHERE rank IS NOT NULL" }];

    const run = await fx.run("finalize", { verbose: true });
    expect(run.exception).toBeNull();
    expect(run.snapshot.command.output).toMatch(/finalization: lock window \d/);
    expect(fx.rows(INDEXES)).toEqual(expected.sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1)));
    expect(fx.rows(LEFTOVERS)).toEqual([]);
    // Statistics of the replaced indexes are gone, as DROP INDEX would leave them; the untouched table keeps its own.
    expect(fx.rows("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")).toEqual([{ tbl: "parent" }, { tbl: "visit" }]);

    // The application's connection, prepared before the swap, reads the new table through its renamed indexes.
    expect(byEmail.get("u20@x")).toEqual({ id: 20, email: "u20@x" });
    expect(app.prepare("SELECT rank FROM person WHERE email = 'u20@x'").get()).toEqual({ rank: 2 });
    const plan = (sql: string) => (app.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
    expect(plan("SELECT id FROM person WHERE email = 'u1@x'")).toMatch(/INDEX Person Email/);
    expect(plan("SELECT id FROM person WHERE rank = 3")).toMatch(/INDEX person rank/);
    expect(plan("SELECT id FROM person WHERE lower(email) = 'u1@x'")).toMatch(/INDEX person_lower/);
    expect(app.prepare("SELECT count(*) AS n FROM person INDEXED BY person_name WHERE score > 0").get()).toEqual({ n: 30000 - 4 * Math.ceil(30000 / 13) + 1 });
    expect(() => app.prepare("INSERT INTO person (email) VALUES ('u7@x')").run()).toThrow(/UNIQUE constraint failed: person\.email/);
    app.prepare("INSERT INTO person (email, rank) VALUES ('new@x', 9999)").run();
    expect(plan("SELECT id FROM person WHERE rank = 9999")).toMatch(/INDEX person rank/);
    expect(app.prepare("SELECT email FROM person WHERE rank = 9999").all()).toEqual([{ email: "new@x" }]);
    expect(app.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
    app.close();
    expect(freshRows(fx.dbPath, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect(freshRows(fx.dbPath, "PRAGMA foreign_key_check")).toEqual([]);
    // The shadow file is emptied, its self-referencing table too.
    expect(freshRows(`${fx.dbPath}.shadow`, "SELECT name FROM sqlite_schema")).toEqual([]);
  });

  it("an index whose statement cannot be renamed (a comment between its names) is built inside the swap, as before", async () => {
    fx = new EngineFixture(PEOPLE);
    fx.write("0001_commented.mjs", `export default { tables: ["person"], dataDefinition: (db) => db.exec("CREATE INDEX person_score /* by score */ ON person (score)") };`);
    const run = await fx.run("finalize");
    expect(run.exception).toBeNull();
    expect(fx.rows("SELECT sql FROM sqlite_schema WHERE name = 'person_score'")).toEqual([{ sql: "CREATE INDEX person_score /* by score */ ON person (score)" }]);
    expect(fx.rows("SELECT count(*) AS n FROM person INDEXED BY person_score WHERE score = 9")).toEqual([{ n: Math.floor(30000 / 13) }]);
    expect(fx.rows(LEFTOVERS)).toEqual([]);
    expect(freshRows(fx.dbPath, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  });

  it("an index name another table's index holds fails the swap as CREATE INDEX did; nothing swapped, no leftovers", async () => {
    fx = new EngineFixture(PEOPLE);
    fx.write("0001_taken.mjs", `export default { tables: ["person"], dataDefinition: (db) => db.exec("CREATE INDEX visit_person ON person (score)") };`);
    const before = { schema: fx.schema(), rows: fx.rows("SELECT * FROM person ORDER BY id") };
    const run = await fx.run("finalize");
    expect(run.exception).toMatch(/index visit_person already exists/);
    expect({ schema: fx.schema(), rows: fx.rows("SELECT * FROM person ORDER BY id") }).toEqual(before);
    expect(fx.rows(LEFTOVERS)).toEqual([]);
    expect(freshRows(fx.dbPath, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  });

  it("a row the application wrote during migrate that references a parent the migration removed fails the swap, naming it", async () => {
    fx = new EngineFixture(`${PEOPLE}\nINSERT INTO parent VALUES (51, 'spare');`);
    fx.write("0001_person_copy.mjs", `export default { tables: ["person"], transform: { person: (row) => row } };`);
    fx.write("0002_drop_spare.mjs", `export default { tables: ["parent"], dataManipulation: (db) => db.exec("DELETE FROM parent WHERE id = 51") };`);
    expect((await fx.run("migrate")).exception).toBeNull();
    // Parent 51 is still in the origin, so the application's own foreign key check lets the row in; the swap
    // replays it after its foreign key check of the staged rows, and checks it again under the lock.
    fx.origin.pragma("foreign_keys = ON");
    fx.origin.prepare("UPDATE person SET parent_id = 51 WHERE id = 1").run();
    const store = await fx.openStore();
    await expect(store.finalizeSwap(await finalizePlan(fx, ["person", "parent"]))).rejects.toThrow(
      /^Foreign key check failed after the swap: table "person" row 1 references a missing row of "parent"$/,
    );
    expect(fx.rows("SELECT count(*) AS n FROM parent")).toEqual([{ n: 51 }]);
    expect(fx.rows("SELECT parent_id FROM person WHERE id = 1")).toEqual([{ parent_id: 51 }]);
    expect(fx.rows(LEFTOVERS)).toEqual([]);
  });

  it("a parent row the migration removed that another table's rows still reference fails the swap before its lock", async () => {
    fx = new EngineFixture(PEOPLE);
    fx.write("0001_drop_parent.mjs", `export default { tables: ["parent"], dataManipulation: (db) => db.exec("DELETE FROM parent WHERE id = 50") };`);
    const run = await fx.run("finalize");
    expect(run.exception).toBe(
      `Foreign key check failed after the swap: ${[49, 99, 149, 199, 249].map((id) => `table "person" row ${id} references a missing row of "parent"`).join("; ")} (and 595 more)`,
    );
    expect(fx.rows("SELECT count(*) AS n FROM parent")).toEqual([{ n: 50 }]);
    expect(fx.rows(LEFTOVERS)).toEqual([]);
  });

  it("a duplicate the application wrote for a new UNIQUE index fails the swap's replay as before: nothing swapped, the original writable", async () => {
    fx = new EngineFixture(`
      CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT NOT NULL, score REAL);
      CREATE INDEX person_score ON person (score);
      INSERT INTO person (email, score) VALUES ('a@x', 1), ('b@x', 2), ('c@x', 3);`);
    fx.write("0001_unique_email.mjs", `export default { tables: ["person"], dataDefinition: (db) => db.exec("CREATE UNIQUE INDEX person_email ON person (email)") };`);
    expect((await fx.run("migrate")).exception).toBeNull();
    // The origin has no unique index: the application writes a duplicate, which capture logs for the swap to replay.
    fx.origin.prepare("INSERT INTO person (email, score) VALUES ('b@x', 4)").run();
    const before = { schema: fx.schema(), rows: fx.rows("SELECT * FROM person ORDER BY id") };

    const store = await fx.openStore();
    await expect(store.finalizeSwap(await finalizePlan(fx, ["person"]))).rejects.toThrow(/^UNIQUE constraint failed: person\.email$/);

    expect({ schema: fx.schema(), rows: fx.rows("SELECT * FROM person ORDER BY id") }).toEqual(before);
    expect(fx.rows(LEFTOVERS)).toEqual([]);
    fx.origin.prepare("INSERT INTO person (email, score) VALUES ('d@x', 5)").run();
    expect(freshRows(fx.dbPath, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  });
});

describe("the pieces of the SQLite swap", () => {
  it("renames the index and its table in a stored CREATE INDEX, in any quoting; refuses what it cannot read", () => {
    expect(renameCreateIndex("CREATE INDEX person_email ON person (email)", "_migration_staged_person_email", "_migration_staged_person")).toBe(
      'CREATE INDEX "_migration_staged_person_email" ON "_migration_staged_person" (email)',
    );
    expect(renameCreateIndex('CREATE UNIQUE INDEX "a ""b""" ON [t t](x) WHERE x > 0', "new")).toBe('CREATE UNIQUE INDEX "new" ON [t t](x) WHERE x > 0');
    expect(renameCreateIndex("CREATE INDEX `i` on `t`\n  (lower(x) COLLATE NOCASE DESC)", "j", "u")).toBe('CREATE INDEX "j" on "u"\n  (lower(x) COLLATE NOCASE DESC)');
    expect(renameCreateIndex("CREATE INDEX i /* c */ ON t (x)", "j")).toBeNull();
  });

  it("checks the foreign keys of given rows only, or of all rows (the warning after the commit)", () => {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = OFF");
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
      INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1), (2, 9), (3, 8), (4, NULL);`);
    const checks = [{ child: "child", childAt: "child", parent: "parent", parentAt: "parent", childColumns: ["parent_id"], parentColumns: ["id"] }];
    const only = (...literals: string[]) => new Map([["child", { key: "rowid", literals }]]);
    expect(() => checkForeignKeyRows(db, checks, only("1", "4"))).not.toThrow();
    expect(() => checkForeignKeyRows(db, checks, only("1", "3"))).toThrow(/^Foreign key check failed after the swap: table "child" row 3 references a missing row of "parent"$/);
    expect(foreignKeyWarnings(db, checks)).toEqual([
      'finalization: warning: rows written while the swap was prepared break foreign keys: table "child" row 2 references a missing row of "parent"; ' +
        'table "child" row 3 references a missing row of "parent"; fix them\n',
    ]);
    db.close();
  });

  it("reads a staged copy's foreign keys against the swapped names, and fails as SQLite does on a key that is not unique", () => {
    const db = new Database(":memory:");
    db.exec(`CREATE TABLE mom (name TEXT); CREATE TABLE _migration_staged_mom (name TEXT PRIMARY KEY);
      CREATE TABLE _migration_staged_kid (id INTEGER PRIMARY KEY, mom TEXT REFERENCES mom, boss INTEGER REFERENCES kid(id));`);
    expect(planForeignKeys(db, ["kid", "mom"], [])).toEqual([
      { child: "kid", childAt: "_migration_staged_kid", parent: "kid", parentAt: "_migration_staged_kid", childColumns: ["boss"], parentColumns: ["id"] },
      { child: "kid", childAt: "_migration_staged_kid", parent: "mom", parentAt: "_migration_staged_mom", childColumns: ["mom"], parentColumns: ["name"] },
    ]);
    expect(() => planForeignKeys(db, ["kid"], [])).toThrow('foreign key mismatch - "kid" referencing "mom"');
    db.close();
  });
});
