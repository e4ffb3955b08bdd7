import { afterEach, describe, expect, it } from "vitest";
import { PgEngineFixture } from "./pg-engine-fixture.ts";

const SHOP = `
CREATE TABLE customer (id integer PRIMARY KEY, email text UNIQUE, code integer UNIQUE NOT NULL);
INSERT INTO customer VALUES (1, 'ada@example.org', 11), (2, 'bob@example.org', 12);
CREATE VIEW with_email AS SELECT id, email FROM customer;
CREATE VIEW with_email_count AS SELECT count(*) AS n FROM with_email;
CREATE MATERIALIZED VIEW next_codes AS SELECT code + 1 AS next FROM customer;
CREATE TABLE archive (id integer PRIMARY KEY);
CREATE VIEW archived AS SELECT id FROM archive;
CREATE TABLE invoice (id integer PRIMARY KEY, customer_code integer REFERENCES customer (code));
CREATE TABLE payment (id integer PRIMARY KEY, customer_id integer REFERENCES customer (id));
CREATE TABLE refund (id integer PRIMARY KEY, customer_email text REFERENCES customer (email));
`;

/** Drops the email, retypes the code, keeps the id, and drops the archive. */
const RESHAPE = `export default {
  tables: ["customer", "archive"],
  writes: "protect",
  async dataDefinition(db) {
    await db.exec("ALTER TABLE customer DROP COLUMN email");
    await db.exec("ALTER TABLE customer ALTER COLUMN code TYPE text");
    await db.exec("DROP TABLE archive");
  },
};`;

const EXPECTED = [
  'view "with_email" uses column customer.email, which migration 0001_reshape drops or renames',
  'view "next_codes" cannot be created again over the new shape of table "customer" (migration 0001_reshape): operator does not exist: text + integer',
  'view "archived" reads table "archive", which migration 0001_reshape drops',
  'foreign key "invoice_customer_code_fkey" of table "invoice": column invoice.customer_code (integer) cannot reference customer.code, which migration 0001_reshape retypes to text',
  'foreign key "refund_customer_email_fkey" of table "refund" references column customer.email, which migration 0001_reshape drops or renames',
];

let fx: PgEngineFixture;
afterEach(async () => fx?.dispose());

describe("finalize's prerequisites on PostgreSQL", () => {
  it("migrate fails at its end listing each view, materialized view and foreign key the new shape breaks; the originals are untouched", async () => {
    fx = await PgEngineFixture.create(SHOP);
    const store = await fx.openStore();
    fx.write("0001_reshape.mjs", RESHAPE);
    const run = await fx.run("migrate", store);
    expect(run.exception).toBe(
      `Finalize could not swap the migrated tables in: ${EXPECTED.join("; ")}. Change the migration, or drop or redefine what it breaks in the release first; then reset and migrate again`,
    );
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["migration_failed"]);
    expect(await fx.rows("SELECT n::int FROM with_email_count")).toEqual([{ n: 2 }]);
    expect(await fx.rows("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = '_migration_check'")).toEqual([{ n: 0 }]);
    await fx.sql.query("INSERT INTO customer VALUES (3, 'cy@example.org', 13)");
  });

  it("the check takes no lock an application's writer conflicts with: it answers while a transaction holds ROW EXCLUSIVE on every original and reads the views", async () => {
    fx = await PgEngineFixture.create(SHOP);
    const store = await fx.openStore();
    fx.write("0001_reshape.mjs", RESHAPE);
    // A failed migrate leaves its shadow copies for inspection: the check runs again on them below.
    expect((await fx.run("migrate", store)).exception).toMatch(/^Finalize could not swap/);
    const app = await fx.connect();
    await app.query("BEGIN");
    await app.query("LOCK TABLE customer, archive, invoice, payment, refund IN ROW EXCLUSIVE MODE");
    await app.query("SELECT * FROM with_email_count, archived, next_codes");
    const session = await store.openSession({ verbose: false, log: () => {} });
    try {
      // A check that wanted SHARE or stronger on any of them would fail with a lock timeout instead of answering.
      await session.db.exec("SET lock_timeout = '30s'");
      const changes = new Map([["customer", "0001_reshape"], ["archive", "0001_reshape"]]);
      expect(await session.checkSwapPrerequisites(changes)).toEqual(EXPECTED);
    } finally {
      await session.close();
      await app.query("COMMIT");
    }
  });
});
