import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

const SHOP = `
CREATE TABLE customer (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
CREATE UNIQUE INDEX customer_name ON customer (name);
CREATE TABLE "order" (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), total INTEGER);
CREATE INDEX order_customer ON "order" (customer_id);
CREATE TABLE log (msg TEXT);
CREATE TRIGGER order_logged AFTER INSERT ON "order" BEGIN INSERT INTO log VALUES ('order ' || new.id); END;
CREATE TABLE tag (name TEXT PRIMARY KEY, weight REAL) WITHOUT ROWID;
INSERT INTO customer (name) VALUES ('ann'), ('bob'), ('cy');
DELETE FROM customer WHERE name = 'cy';
INSERT INTO "order" (id, customer_id, total) VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30);
INSERT INTO tag VALUES ('x', 1.5), ('y', 2.5);
`;

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

/** Every row of every user table of the origin, by table. */
function allRows(f: EngineFixture): Record<string, unknown[]> {
  const tables = f.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_migration\\_%' ESCAPE '\\' ORDER BY name");
  return Object.fromEntries(tables.map(({ name }) => [name, f.rows(`SELECT * FROM "${String(name)}" ORDER BY 1`)]));
}

describe("finalize", () => {
  it("swaps rows, schema and indexes in, keeps triggers and the autoincrement counter, empties the shadow", async () => {
    fx = new EngineFixture(SHOP);
    fx.write(
      "0001_order_cents.mjs",
      `export default { tables: ["order", "tag"],
        dataDefinition: (db) => db.exec('ALTER TABLE "order" ADD COLUMN cents INTEGER; CREATE INDEX order_cents ON "order" (cents)'),
        transform: { order: (row) => ({ ...row, cents: row.total * 100 }), tag: (row) => ({ ...row, weight: row.weight * 2 }) },
        async cleanup(db) { db.log("cleanup sees " + (await db.query('SELECT sum(cents) AS s FROM "order"'))[0].s); } };`,
    );
    fx.write("0002_customer_vip.mjs", `export default { tables: ["customer"], dataDefinition: (db) => db.exec("ALTER TABLE customer ADD COLUMN vip INTEGER NOT NULL DEFAULT 0") };`);
    const run = await fx.run("finalize", { verbose: true });
    expect(run.exception).toBeNull();
    expect(run.snapshot.command.output).toContain("cleanup sees 6000\n");
    expect(run.snapshot.command.output).toContain("finalization 0001_order_cents: finalized\n");
    expect(fx.rows('SELECT id, cents FROM "order" ORDER BY id')).toEqual([
      { id: 1, cents: 1000 },
      { id: 2, cents: 2000 },
      { id: 3, cents: 3000 },
    ]);
    expect(fx.rows("SELECT * FROM tag ORDER BY name")).toEqual([
      { name: "x", weight: 3 },
      { name: "y", weight: 5 },
    ]);
    expect(fx.schema()).toContain('index order_cents: CREATE INDEX order_cents ON "order" (cents)');
    expect(fx.schema()).toContain("index customer_name: CREATE UNIQUE INDEX customer_name ON customer (name)");
    fx.origin.exec('INSERT INTO "order" (id, customer_id, total, cents) VALUES (4, 2, 1, 100)');
    expect(fx.rows("SELECT msg FROM log")).toEqual(["order 1", "order 2", "order 3", "order 4"].map((msg) => ({ msg })));
    fx.origin.exec("INSERT INTO customer (name) VALUES ('dee')");
    expect(fx.rows("SELECT id FROM customer WHERE name = 'dee'")).toEqual([{ id: 4 }]);
    const shadow = new (await import("better-sqlite3")).default(`${fx.dbPath}.shadow`);
    expect(shadow.prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite%'").all()).toEqual([]);
    shadow.close();
  });

  it("rolls back everything when the foreign key check fails, and names the table", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_drop_customers.mjs", `export default { tables: ["customer"], dataManipulation: (db) => db.exec("DELETE FROM customer WHERE id = 2") };`);
    const before = { schema: fx.schema(), rows: allRows(fx) };
    const run = await fx.run("finalize");
    expect(run.exception).toMatch(/Foreign key check failed after the swap: table "order" row 3 references a missing row of "customer"/);
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalization_failed"]);
    expect({ schema: fx.schema(), rows: allRows(fx) }).toEqual(before);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE name LIKE '\\_migration\\_staged\\_%' ESCAPE '\\' OR name LIKE '\\_migration\\_old\\_%' ESCAPE '\\'")).toEqual([]);
    fx.origin.exec("INSERT INTO customer (name) VALUES ('writable')");
  });

  it("stages big tables in chunks before the swap; views and references by name follow; nothing is left behind", async () => {
    fx = new EngineFixture(`
      CREATE TABLE reading (id INTEGER PRIMARY KEY, v REAL NOT NULL, doubled REAL GENERATED ALWAYS AS (v * 2) STORED);
      CREATE INDEX reading_v ON reading (v);
      CREATE TABLE pair (a TEXT, b INTEGER, note TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
      CREATE TABLE note (id INTEGER PRIMARY KEY, reading_id INTEGER REFERENCES reading(id));
      CREATE VIEW big_readings AS SELECT id, v FROM reading WHERE v > 45000;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 45001)
      INSERT INTO reading (id, v) SELECT i, i FROM n;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
      INSERT INTO pair SELECT 'k' || (i % 3), i, 'n' || i FROM n;
      INSERT INTO note VALUES (1, 45001);`);
    fx.write(
      "0001_scale.mjs",
      `export default { tables: ["reading", "pair"], transform: { reading: (row) => ({ id: row.id, v: row.v + 0.5 }), pair: (row) => ({ ...row, note: row.note + "!" }) } };`,
    );
    const run = await fx.run("finalize", { verbose: true });
    expect(run.exception).toBeNull();
    expect(fx.rows("SELECT count(*) AS n, sum(v) AS v, sum(doubled) AS d FROM reading")).toEqual([{ n: 45001, v: 1012590001.5, d: 2025180003 }]);
    expect(fx.rows("SELECT count(*) AS n, min(note) AS first FROM pair")).toEqual([{ n: 25000, first: "n1!" }]);
    expect(fx.rows("SELECT id, v FROM big_readings ORDER BY id")).toEqual([{ id: 45000, v: 45000.5 }, { id: 45001, v: 45001.5 }]);
    expect(fx.schema()).toContain("index reading_v: CREATE INDEX reading_v ON reading (v)");
    expect(String(fx.rows("SELECT sql FROM sqlite_schema WHERE name = 'note'")[0]!.sql)).toContain("REFERENCES reading(id)");
    fx.origin.pragma("foreign_keys = ON");
    expect(() => fx.origin.exec("INSERT INTO note VALUES (2, 99999)")).toThrow(/FOREIGN KEY/);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE name LIKE '\\_migration\\_staged\\_%' ESCAPE '\\' OR name LIKE '\\_migration\\_old\\_%' ESCAPE '\\'")).toEqual([]);
  });

  it("fails clearly, at the end of the migrate part, when a kept trigger names a renamed column", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_drop_total.mjs", `export default { tables: ["order"], writes: "protect", dataDefinition: (db) => db.exec('DROP INDEX order_customer; ALTER TABLE "order" RENAME COLUMN id TO order_id') };`);
    const run = await fx.run("finalize");
    expect(run.exception).toMatch(/^Finalize could not swap the migrated tables in: trigger "order_logged" on table "order" uses column order\.id, which migration 0001_drop_total drops or renames/);
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["migration_failed"]);
    expect(fx.rows('SELECT count(*) AS n FROM "order"')).toEqual([{ n: 3 }]);
  });

  it("refuses to drop an origin table whose shadow copy went missing", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_tags.mjs", `export default { tables: ["tag"], dataManipulation: (db) => db.exec("DELETE FROM tag") };`);
    expect((await fx.run("migrate")).exception).toBeNull();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${fx.dbPath}.shadow${suffix}`, { force: true });
    const run = await fx.run("finalize");
    expect(run.exception).toBe('Table "tag" has no shadow copy to swap in (the shadow copies were lost); reset and migrate again');
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalization_failed"]);
    expect(fx.rows("SELECT count(*) AS n FROM tag")).toEqual([{ n: 2 }]);
  });

  it("refuses to finalize without a table the migration created when its shadow copy went missing", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_badge.mjs", `export default { tables: ["badge"], dataDefinition: (db) => db.exec("CREATE TABLE badge (id INTEGER PRIMARY KEY)") };`);
    expect((await fx.run("migrate")).exception).toBeNull();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${fx.dbPath}.shadow${suffix}`, { force: true });
    const run = await fx.run("finalize");
    expect(run.exception).toBe('Table "badge" has no shadow copy to swap in (the shadow copies were lost); reset and migrate again');
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalization_failed"]);
  });

  it("refuses to swap in a copy of a table whose write protection went missing after it was copied", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_tags.mjs", `export default { tables: ["tag"], dataManipulation: (db) => db.exec("DELETE FROM tag") };`);
    expect((await fx.run("migrate")).exception).toBeNull();
    fx.origin.exec("DROP TRIGGER _migration_protect_tag_update");
    fx.origin.exec("UPDATE tag SET name = name || '!'");
    const run = await fx.run("finalize");
    expect(run.exception).toMatch(/^Table "tag" is no longer write-protected, so writes may have reached it that its shadow copy lacks; nothing was swapped/);
    expect(fx.rows("SELECT count(*) AS n FROM tag")).toEqual([{ n: 2 }]);
  });
});

describe("reset", () => {
  it("drops the staged and retired tables a crashed finalize left in the database", async () => {
    fx = new EngineFixture(SHOP);
    fx.origin.exec("CREATE TABLE _migration_staged_customer (id INTEGER PRIMARY KEY); CREATE TABLE _migration_old_tag (name TEXT)");
    fx.write("0001_noop.mjs", `export default { tables: ["tag"] };`);
    const run = await fx.run("reset");
    expect(run.exception).toBeNull();
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE name LIKE '\\_migration\\_staged\\_%' ESCAPE '\\' OR name LIKE '\\_migration\\_old\\_%' ESCAPE '\\'")).toEqual([]);
  });

  it("after a migrate, restores the origin exactly: schema, rows, no triggers; records back to required", async () => {
    fx = new EngineFixture(SHOP);
    const before = { schema: fx.schema(), rows: allRows(fx) };
    fx.write(
      "0001_big_change.mjs",
      `export default { tables: ["order", "customer", "fresh"],
        dataDefinition: (db) => db.exec('ALTER TABLE "order" DROP COLUMN total; CREATE TABLE fresh (x); DROP TABLE customer'),
        dataManipulation: (db) => db.exec('DELETE FROM "order" WHERE id = 1') };`,
    );
    expect((await fx.run("migrate")).exception).toBeNull();
    const reset = await fx.run("reset", { verbose: true });
    expect(reset.exception).toBeNull();
    expect(reset.snapshot.migrations.map((m) => m.state)).toEqual(["migration_required"]);
    expect(reset.snapshot.command.output).toMatch(/^reset started\n[\s\S]*reset finished\n$/);
    expect({ schema: fx.schema(), rows: allRows(fx) }).toEqual(before);
    // The same migration runs again from a clean shadow: the copy of "order" has all its rows again.
    const again = await fx.run("migrate", { verbose: true });
    expect(again.exception).toBeNull();
    expect(again.snapshot.command.output).toContain('copied table "order" (3 rows)');
  });

  it("after a failure clears the exception and the failed state", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_fails.mjs", `export default { tables: ["tag"], dataDefinition() { throw new Error("nope"); } };`);
    expect((await fx.run("migrate")).snapshot.command.exception).toBe("nope");
    const reset = await fx.run("reset");
    expect(reset.snapshot.command.exception).toBeNull();
    expect(reset.snapshot.migrations.map((m) => m.state)).toEqual(["migration_required"]);
  });
});
