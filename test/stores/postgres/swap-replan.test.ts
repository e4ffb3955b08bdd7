import { afterEach, describe, expect, it } from "vitest";
import type { PoolClient } from "../../../src/stores/postgres/pg-pool.ts";
import { inContext, runBatch } from "../../../src/stores/postgres/swap-batch.ts";
import { failure, PgEngineFixture } from "./pg-engine-fixture.ts";

const SCHEMA = `
CREATE TABLE item (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO item SELECT i, 'item-' || i FROM generate_series(1, 30) i;
CREATE TABLE other (id integer PRIMARY KEY, item_id integer);
INSERT INTO other VALUES (1, 3);
CREATE TABLE log (msg text);
CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log VALUES ('item ' || NEW.id); RETURN NEW; END $$;
`;
const LABEL = `export default {
  tables: ["item"],
  dataDefinition: (db) => db.exec("ALTER TABLE item ADD COLUMN label text"),
  transform: { item: (row) => ({ ...row, label: row.name + "#" + row.id }) },
};`;

let fx: PgEngineFixture;
afterEach(async () => fx?.dispose());

/** Polls `sql` until it returns a row, for at most 30 s. */
async function untilRow(sql: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await fx.rows(sql)).length === 0) {
    if (Date.now() > deadline) throw new Error(`no row within 30 s: ${sql}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the finalize swap plans before its locks", () => {
  it("a view, trigger, grant and foreign key created on the table after the plan, before the lock, are carried over all the same", async () => {
    fx = await PgEngineFixture.create(SCHEMA);
    const store = await fx.openStore({ lockPolicy: { lockTimeoutMs: 200, attempts: 200, backoffMs: 20 } });
    fx.write("0001_label.mjs", LABEL);
    expect((await fx.run("migrate", store)).exception).toBeNull();
    const reader = await fx.connect();
    await reader.query("BEGIN");
    await reader.query("SELECT count(*) FROM item");
    const finalize = fx.run("finalize", store);
    // The swap asks for its lock only after it planned: from here on, what the reader creates is news to it.
    await untilRow("SELECT 1 FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' AND relation = 'item'::regclass");
    await reader.query(`
      CREATE VIEW item_names AS SELECT id, name FROM item;
      CREATE TRIGGER item_logged AFTER INSERT ON item FOR EACH ROW EXECUTE FUNCTION log_item();
      GRANT SELECT ON item TO PUBLIC;
      ALTER TABLE other ADD CONSTRAINT other_item_fk FOREIGN KEY (item_id) REFERENCES item (id);`);
    await reader.query("COMMIT");
    const run = await finalize;
    expect(run.exception).toBeNull();

    expect(await fx.rows("SELECT label FROM item WHERE id = 3")).toEqual([{ label: "item-3#3" }]);
    await fx.sql.query("INSERT INTO item (id, name) VALUES (100, 'new')");
    expect(await fx.rows("SELECT name FROM item_names WHERE id = 100")).toEqual([{ name: "new" }]);
    expect(await fx.rows("SELECT msg FROM log")).toEqual([{ msg: "item 100" }]);
    expect(await fx.rows("SELECT has_table_privilege('public', 'item', 'SELECT') AS granted")).toEqual([{ granted: true }]);
    expect(await fx.rows("SELECT confrelid::regclass::text AS parent, convalidated FROM pg_constraint WHERE conname = 'other_item_fk'")).toEqual([
      { parent: "item", convalidated: true },
    ]);
    expect((await failure(fx.sql.query("DELETE FROM item WHERE id = 3"))).code).toBe("23503");
    expect(await fx.rows("SELECT to_regnamespace('_migration_retired') AS s")).toEqual([{ s: null }]);
  }, 120_000);

  it("a table something else depends on (a function over its row type) is dropped under the lock as before, so the swap fails and keeps it", async () => {
    fx = await PgEngineFixture.create(`${SCHEMA}
      CREATE FUNCTION item_title(item) RETURNS text LANGUAGE sql AS $$ SELECT upper($1.name) $$;`);
    const store = await fx.openStore();
    fx.write("0001_label.mjs", LABEL);
    const run = await fx.run("finalize", store);
    expect(run.exception).toMatch(/Cannot drop the old tables: cannot drop table item because other objects depend on it/);
    expect(await fx.rows("SELECT item_title(i) AS t FROM item i WHERE id = 2")).toEqual([{ t: "ITEM-2" }]);
    expect(await fx.rows("SELECT to_regnamespace('_migration_retired') AS s")).toEqual([{ s: null }]);
  }, 120_000);

  it("old tables left in the retired schema (a finalize that ended before dropping them) are dropped by the next command", async () => {
    fx = await PgEngineFixture.create(`${SCHEMA}
      CREATE SCHEMA _migration_retired;
      CREATE TABLE _migration_retired.item (id integer PRIMARY KEY, name text);
      INSERT INTO _migration_retired.item VALUES (1, 'old');`);
    const store = await fx.openStore();
    fx.write("0001_label.mjs", LABEL);
    expect((await fx.run("migrate", store)).exception).toBeNull();
    expect(await fx.rows("SELECT to_regnamespace('_migration_retired') AS s")).toEqual([{ s: null }]);
    expect(await fx.rows("SELECT count(*)::int AS n FROM item")).toEqual([{ n: 30 }]);
  }, 120_000);

  it("a failing statement of the swap's batch is named in the error", async () => {
    fx = await PgEngineFixture.create();
    const client = fx.sql as unknown as PoolClient;
    await client.query("BEGIN");
    const batch = runBatch(client, [{ sql: "CREATE TABLE fine (x integer)" }, inContext("SELECT 1 / 0", "Cannot divide")]);
    await expect(batch).rejects.toThrow("Cannot divide: division by zero");
    await client.query("ROLLBACK");
  });
});
