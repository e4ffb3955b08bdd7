import { afterEach, describe, expect, it } from "vitest";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

const ITEMS = `
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL DEFAULT 0);
INSERT INTO item (name, qty) VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4);
`;

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

/** Writes a one-table migration on `item` with the given members (JS source of the object body). */
function itemMigration(body: string): string {
  return `export default { tables: ["item"], ${body} };`;
}

describe("migrate failures", () => {
  it("a checkPrerequisites text is exactly the exception, before anything is copied or protected", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write("0001_refuse.mjs", itemMigration(`checkPrerequisites: () => "item needs a warehouse first"`));
    const run = await fx.run("migrate");
    expect(run.exception).toBe("item needs a warehouse first");
    expect(run.snapshot.command.exception).toBe("item needs a warehouse first");
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["migration_failed"]);
    expect(run.snapshot.command.output).not.toContain("copied table");
    expect(run.snapshot.command.output).toMatch(/migration 0001_refuse failed: item needs a warehouse first\n$/);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE type = 'trigger'")).toEqual([]);
  });

  it.each([
    ["a thrown error", `dataManipulation() { throw new Error("boom in dataManipulation"); }`, "boom in dataManipulation"],
    ["a changed primary key", `transform: { item: (row) => ({ ...row, id: row.id + 100 }) }`, 'changed the primary key column "id"'],
    ["a transform on a missing table", `tables: ["item", "ghost"], transform: { ghost: (row) => row }`, '"ghost" does not exist'],
    [
      "a thrown error, with the row's key",
      `transform: { item: (row) => { if (row.id === 3) throw new Error("bad row 3"); return row; } }`,
      'The transform of table "item" failed on the row with key (id) = (3): bad row 3',
    ],
    [
      "a transform that returns no row object, with the row's key",
      `transform: { item: (row) => (row.id === 2 ? 42 : row) }`,
      'The transform of table "item" failed on the row with key (id) = (2): it must return a row object or null, but returned 42',
    ],
    [
      "an unknown column, with the row's key",
      `transform: { item: (row) => (row.id === 4 ? { ...row, colour: "red" } : row) }`,
      'The transform of table "item" failed on the row with key (id) = (4): it returned the key "colour", which is not a column of table "item"',
    ],
    [
      "a value the database refuses, with the row's key and column",
      `transform: { item: (row) => (row.id === 3 ? { ...row, name: null } : row) }`,
      'Table "item" refused the row with key (id) = (3): NOT NULL constraint failed: item.name',
    ],
    [
      "a refused statement in dataDefinition, shown with the step and the migration",
      `dataDefinition: (db) => db.exec("ALTER TABLE item ADD COLUMN note TEXT; CREATE INDEX item_note ON item (nope)")`,
      "dataDefinition of 0002_bad failed: no such column: nope\n  in: CREATE INDEX item_note ON item (nope)",
    ],
    [
      "a refused query in checkPrerequisites",
      `checkPrerequisites: async (db) => { await db.query("SELECT nope FROM item WHERE id = ?", [1]); }`,
      "checkPrerequisites of 0002_bad failed: no such column: nope\n  in: SELECT nope FROM item WHERE id = ?",
    ],
  ])("%s fails the migration with its message, lifts the protection and keeps the origin", async (_case, body, message) => {
    fx = new EngineFixture(ITEMS);
    fx.write("0001_ok.mjs", itemMigration(`transform: { item: (row) => ({ ...row, qty: row.qty * 10 }) }`));
    fx.write("0002_bad.mjs", `export default { tables: ["item"], ${body} };`);
    const run = await fx.run("migrate", { batchRows: 2 });
    expect(run.exception).toContain(message);
    expect(run.snapshot.migrations.map((m) => [m.name, m.state])).toEqual([
      ["0001_ok", "migration_required"],
      ["0002_bad", "migration_failed"],
    ]);
    expect(run.snapshot.command.output).toContain(`migration 0002_bad failed: `);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE type = 'trigger'")).toEqual([]);
    fx.origin.exec("INSERT INTO item (name) VALUES ('written after the failure')");
    expect(fx.rows("SELECT id, qty FROM item WHERE id <= 4")).toEqual([
      { id: 1, qty: 1 },
      { id: 2, qty: 2 },
      { id: 3, qty: 3 },
      { id: 4, qty: 4 },
    ]);
  });

  it("null from a transform deletes the row; a missing column gets its default", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write(
      "0001_prune.mjs",
      itemMigration(`transform: { item: (row) => (row.id % 2 === 0 ? null : { id: row.id, name: row.name.toUpperCase() }) }`),
    );
    expect((await fx.run("finalize")).exception).toBeNull();
    expect(fx.rows("SELECT * FROM item")).toEqual([
      { id: 1, name: "A", qty: 0 },
      { id: 3, name: "C", qty: 0 },
    ]);
  });
});

describe("write protection", () => {
  it("rejects writes with a text naming the migration while reads keep working, until finalize", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write("0001_protected.mjs", itemMigration(`writes: "protect", dataDefinition: (db) => db.exec("ALTER TABLE item ADD COLUMN note TEXT")`));
    expect((await fx.run("migrate")).exception).toBeNull();
    expect(() => fx.origin.exec("UPDATE item SET qty = 9")).toThrow(/Table "item" is write-protected by migration 0001_protected/);
    expect(() => fx.origin.exec("INSERT INTO item (name) VALUES ('x')")).toThrow(/write-protected by migration 0001_protected/);
    expect(() => fx.origin.exec("DELETE FROM item")).toThrow(/write-protected/);
    expect(fx.rows("SELECT count(*) AS n FROM item")).toEqual([{ n: 4 }]);
    expect((await fx.run("finalize")).exception).toBeNull();
    fx.origin.exec("UPDATE item SET note = 'free again'");
    expect(fx.rows("SELECT DISTINCT note FROM item")).toEqual([{ note: "free again" }]);
  });

  it("is installed while the migration runs", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write(
      "0001_probe.mjs",
      `import Database from "better-sqlite3";
      export default { tables: ["item"], async dataManipulation(db) {
        const app = new Database(${JSON.stringify(fx.dbPath)});
        try { app.exec("DELETE FROM item"); db.log("write went through"); }
        catch (e) { db.log("app saw: " + e.message); }
        finally { app.close(); }
      } };`,
    );
    const run = await fx.run("migrate");
    expect(run.snapshot.command.output).toContain(
      'app saw: Table "item" is write-protected by migration 0001_probe (migrate running)\n',
    );
  });
});
