import { afterEach, describe, expect, it } from "vitest";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

const SHOP = `
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
CREATE TABLE archive (id INTEGER PRIMARY KEY, note TEXT);
CREATE TABLE audit (msg TEXT);
CREATE TABLE junk (x TEXT);
INSERT INTO customer VALUES (1, 'ann', 'ann@example.org'), (2, 'bob', NULL);
INSERT INTO archive VALUES (1, 'old');
CREATE VIEW emails AS SELECT id, email FROM customer;
CREATE VIEW names AS SELECT name FROM customer;
CREATE VIEW old_notes AS SELECT note FROM archive;
CREATE TRIGGER customer_audit AFTER UPDATE ON customer BEGIN INSERT INTO audit VALUES (new.email); END;
CREATE TRIGGER junk_was_broken AFTER INSERT ON junk BEGIN UPDATE customer SET no_such_column = 1; END;
`;

/** Drops customer.email and the archive table. */
const RESHAPE = `export default {
  tables: ["customer", "archive"],
  writes: "protect",
  dataDefinition(db) {
    db.exec("ALTER TABLE customer DROP COLUMN email");
    db.exec("DROP TABLE archive");
  },
};`;

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

describe("finalize's prerequisites on SQLite", () => {
  it("names the views and triggers the new shape breaks and the views over a dropped table; leaves alone what was broken before", async () => {
    fx = new EngineFixture(SHOP);
    fx.write("0001_reshape.mjs", RESHAPE);
    const run = await fx.run("migrate");
    expect(run.exception).toBe(
      "Finalize could not swap the migrated tables in: " +
        'view "emails" uses column customer.email, which migration 0001_reshape drops or renames; ' +
        'view "old_notes" reads table "archive", which migration 0001_reshape drops; ' +
        'trigger "customer_audit" on table "customer" uses column customer.email, which migration 0001_reshape drops or renames. ' +
        "Change the migration, or drop or redefine what it breaks in the release first; then reset and migrate again",
    );
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["migration_failed"]);
    // Nothing of the check is left, and the originals work as before.
    expect(fx.rows("SELECT id, email FROM emails ORDER BY id")).toEqual([{ id: 1, email: "ann@example.org" }, { id: 2, email: null }]);
    expect(fx.rows("SELECT note FROM old_notes")).toEqual([{ note: "old" }]);
  });
});
