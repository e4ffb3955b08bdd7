import { afterEach, describe, expect, it } from "vitest";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

const USERS = `
CREATE TABLE "user" (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, street TEXT, city TEXT);
CREATE INDEX user_last ON "user" (last_name);
CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
INSERT INTO audit (note) VALUES ('kept');
INSERT INTO "user" (first_name, last_name, street, city)
WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 1200)
SELECT 'first' || value, 'last' || value, 'street ' || value, 'city' || (value % 5) FROM n;
`;

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

describe("migrate", () => {
  it("copies tables to the shadow and resolves plain names to the copy, other tables to the origin", async () => {
    fx = new EngineFixture(USERS);
    fx.write(
      "0001_add_full_name.mjs",
      `export default {
        tables: ["user"],
        async dataDefinition(db) {
          await db.exec('ALTER TABLE "user" ADD COLUMN full_name TEXT');
          const [audit] = await db.query("SELECT count(*) AS n FROM audit");
          const cols = await db.query("SELECT name FROM pragma_table_info('user')");
          db.log("audit rows " + audit.n + ", user columns " + cols.map((c) => c.name).join(","));
        },
        transform: { user: (row) => ({ ...row, full_name: row.first_name + " " + row.last_name }) },
      };`,
    );
    const run = await fx.run("migrate", { batchRows: 100, verbose: true });
    expect(run.exception).toBeNull();
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalization_required"]);
    const output = run.snapshot.command.output;
    expect(output).toMatch(/^migration started\n/);
    expect(output).toContain('migration 0001_add_full_name: copied table "user" (1200 rows)\n');
    expect(output).toContain("audit rows 1, user columns id,first_name,last_name,street,city,full_name\n");
    expect(output).toContain('migration 0001_add_full_name: transformed 1200 rows of "user"\n');
    expect(output).toMatch(/migration 0001_add_full_name: done\nmigration 0001_add_full_name: took [\d.]+ ms\nmigration: finalize prerequisites ok \(.*\)\nmigration finished\n$/);
    // The origin is untouched until finalize.
    expect(fx.rows("SELECT name FROM pragma_table_info('user')").map((c) => c.name)).not.toContain("full_name");
    expect(run.snapshot.command).toMatchObject({ count: 1200, migrated: 1200 });
    // Verbose, so the store has every line the listener heard (after the claim's first line).
    expect(`migration started\n${run.heard.join("")}`).toBe(output);
  });

  it("fills an added column with a transform, splits a table into a new one and drops a table, visible after finalize", async () => {
    fx = new EngineFixture(USERS + "CREATE TABLE legacy (x); INSERT INTO legacy VALUES (1);");
    fx.write(
      "0001_split_address.ts",
      `import type { Migration } from "${new URL("../../src/migrations/types.ts", import.meta.url).pathname}";
      const migration: Migration = {
        tables: ["user", "address", "legacy"],
        async dataDefinition(db) {
          await db.exec(\`CREATE TABLE address (user_id INTEGER PRIMARY KEY REFERENCES "user"(id), street TEXT, city TEXT);
            CREATE INDEX address_city ON address (city);
            INSERT INTO address SELECT id, street, city FROM "user";
            ALTER TABLE "user" DROP COLUMN street; ALTER TABLE "user" DROP COLUMN city;
            ALTER TABLE "user" ADD COLUMN initials TEXT NOT NULL DEFAULT '';
            DROP TABLE legacy;\`);
        },
        transform: { user: (row) => ({ ...row, initials: String(row.first_name)[0] + String(row.last_name)[0] }) },
      };
      export default migration;`,
    );
    const migrated = await fx.run("migrate", { verbose: true });
    expect(migrated.exception).toBeNull();
    expect(migrated.snapshot.command.output).toContain('migration 0001_split_address: dropped table "legacy"\n');
    // "address" counts the rows its INSERT … SELECT gave it once they are there; "legacy" the row it had when the run began.
    expect(migrated.snapshot.command).toMatchObject({
      count: 2401, migrated: 2401,
      tables: [{ table: "user", count: 1200, migrated: 1200 }, { table: "address", count: 1200, migrated: 1200 }, { table: "legacy", count: 1, migrated: 1 }],
    });
    const finalized = await fx.run("finalize", { verbose: true });
    expect(finalized.exception).toBeNull();
    expect(finalized.snapshot.migrations.map((m) => m.state)).toEqual(["finalized"]);
    expect(fx.rows("SELECT name FROM pragma_table_info('user')").map((c) => c.name)).toEqual(["id", "first_name", "last_name", "initials"]);
    expect(fx.rows('SELECT * FROM "user" WHERE id = 7')).toEqual([{ id: 7, first_name: "first7", last_name: "last7", initials: "fl" }]);
    expect(fx.rows("SELECT count(*) AS n FROM address")).toEqual([{ n: 1200 }]);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_migration\\_%' ESCAPE '\\' ORDER BY name")).toEqual([
      { name: "address_city" },
      { name: "user_last" },
    ]);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE name = 'legacy'")).toEqual([]);
    expect(fx.rows("SELECT note FROM audit")).toEqual([{ note: "kept" }]);
    expect(finalized.snapshot.command.output).toMatch(/finalization 0001_split_address: finalized\nfinalization: lock window [\d.]+ ms\nfinalization finished\n$/);
  });

  it("runs several pending migrations in index order, each seeing the previous one's result", async () => {
    fx = new EngineFixture(USERS);
    fx.write(
      "0001_add_score.mjs",
      `export default { tables: ["user"],
        dataDefinition: (db) => db.exec('ALTER TABLE "user" ADD COLUMN score INTEGER NOT NULL DEFAULT 0'),
        transform: { user: (row) => ({ ...row, score: row.id * 2 }) } };`,
    );
    fx.write(
      "0002_use_score.mjs",
      `export default { tables: ["user", "stats"],
        async checkPrerequisites(db) {
          const [row] = await db.query('SELECT sum(score) AS s FROM "user"');
          return row.s === 1200 * 1201 ? "" : "score missing: " + row.s;
        },
        dataDefinition: (db) => db.exec("CREATE TABLE stats (k TEXT PRIMARY KEY, v INTEGER)"),
        transform: { user: (row) => (row.id % 2 === 0 ? null : { ...row, score: row.score + 1 }) },
        dataManipulation: (db) => db.exec('INSERT INTO stats SELECT \\'users\\', count(*) FROM "user"') };`,
    );
    const run = await fx.run("finalize", { verbose: true });
    expect(run.exception).toBeNull();
    const output = run.snapshot.command.output;
    expect(output.indexOf("migration 0001_add_score: done")).toBeLessThan(output.indexOf("migration 0002_use_score: started"));
    expect(output).toMatch(/^migration started\n[\s\S]*migration finished\nfinalization started\n[\s\S]*finalization: lock window [\d.]+ ms\nfinalization finished\n$/);
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalized", "finalized"]);
    expect(fx.rows("SELECT v FROM stats")).toEqual([{ v: 600 }]);
    expect(fx.rows('SELECT score FROM "user" WHERE id = 3')).toEqual([{ score: 7 }]);
    // Each row counts once per table it lands in: "user" twice transformed (1,200), "stats" filled by SQL (1).
    expect(run.snapshot.command).toMatchObject({
      count: 1201, migrated: 1201, tables: [{ table: "user", count: 1200, migrated: 1200 }, { table: "stats", count: 1, migrated: 1 }],
    });
  });
});
