import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../../../src/stores/postgres/postgres-store.ts";
import { failure, PgEngineFixture, type PgRun } from "./pg-engine-fixture.ts";

const SHOP = `
CREATE TABLE customer (
  id serial PRIMARY KEY,
  email text NOT NULL CONSTRAINT customer_email_key UNIQUE,
  credit integer NOT NULL DEFAULT 100 CONSTRAINT customer_credit_check CHECK (credit >= 0)
);
CREATE INDEX customer_credit ON customer (credit) WHERE credit > 0;
CREATE TABLE "order" (id bigserial PRIMARY KEY, customer_id integer NOT NULL CONSTRAINT order_customer_fk REFERENCES customer (id), total integer NOT NULL);
CREATE TABLE tag (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE payment (id serial PRIMARY KEY, order_id bigint NOT NULL CONSTRAINT payment_order_fk REFERENCES "order" (id));
CREATE TABLE legacy (x integer);
CREATE TABLE log (msg text);
CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log VALUES ('order ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER order_logged AFTER INSERT ON "order" FOR EACH ROW EXECUTE FUNCTION log_order();
CREATE VIEW order_totals AS SELECT c.email, sum(o.total) AS total FROM customer c JOIN "order" o ON o.customer_id = c.id GROUP BY c.email;
CREATE VIEW big_spenders AS SELECT email FROM order_totals WHERE total > 20;
INSERT INTO customer (email) SELECT 'c' || i || '@x' FROM generate_series(1, 5) i;
DELETE FROM customer WHERE id = 5;
INSERT INTO "order" (customer_id, total) SELECT 1 + i % 4, i FROM generate_series(1, 12) i;
INSERT INTO tag (name) SELECT 't' || i FROM generate_series(1, 9) i;
INSERT INTO payment (order_id) VALUES (1), (2);
INSERT INTO legacy VALUES (1);
`;

const RESHAPE = `export default {
  tables: ["customer", "order", "tag", "note", "legacy"],
  async dataDefinition(db) {
    await db.exec('ALTER TABLE "order" ADD COLUMN cents integer; CREATE INDEX order_cents ON "order" (cents)');
    await db.exec("CREATE TABLE note (id serial PRIMARY KEY, customer_id integer NOT NULL CONSTRAINT note_customer_fk REFERENCES customer (id), body text)");
    await db.exec("DROP TABLE legacy");
  },
  transform: {
    order: (row) => ({ ...row, cents: row.total * 100 }),
    tag: (row) => ({ id: row.id, name: row.name.toUpperCase() }),
  },
  async dataManipulation(db) {
    await db.query("INSERT INTO note (customer_id, body) SELECT id, $1 FROM customer", ["hello"]);
    await db.exec("INSERT INTO tag (name) VALUES ('made-in-migration')");
  },
};`;

describe("everything survives the finalize swap", () => {
  let fx: PgEngineFixture;
  let store: PostgresStore;
  let migrated: PgRun;
  let finalized: PgRun;
  beforeAll(async () => {
    fx = await PgEngineFixture.create(SHOP);
    store = await fx.openStore();
    fx.write("0001_reshape.mjs", RESHAPE);
    migrated = await fx.run("migrate", store);
    finalized = await fx.run("finalize", store, { verbose: true });
  });
  afterAll(async () => fx?.dispose());
  const q = (sql: string) => fx.rows(sql);

  it("migrate and finalize succeed and report the swap and the lock window", () => {
    expect(migrated.exception).toBeNull();
    expect(finalized.exception).toBeNull();
    const output = finalized.snapshot.command.output;
    expect(output).toContain('finalization: swapped in table "order"\n');
    expect(output).toContain('finalization: dropped table "legacy"\n');
    expect(output).toMatch(/finalization: lock window \d+(\.\d)? ms\n/);
    expect(finalized.snapshot.migrations.map((m) => m.state)).toEqual(["finalized"]);
  });

  it.each<[string, () => Promise<void>]>([
    ["serial id: a fresh id, the sequence owned by the new table", async () => {
      expect(await q("INSERT INTO customer (email) VALUES ('new@x') RETURNING id")).toEqual([{ id: 6 }]);
      expect(await q("SELECT pg_get_serial_sequence('customer', 'id') AS seq")).toEqual([{ seq: "public.customer_id_seq" }]);
      expect(await q(`INSERT INTO "order" (customer_id, total) VALUES (1, 1) RETURNING id`)).toEqual([{ id: "13" }]);
    }],
    ["identity id: a fresh id after the rows the migration added", async () => {
      expect(await q("SELECT max(id) AS m FROM tag")).toEqual([{ m: 10 }]);
      expect(await q("INSERT INTO tag (name) VALUES ('after') RETURNING id")).toEqual([{ id: 11 }]);
      expect(await q("SELECT name FROM tag WHERE id = 3")).toEqual([{ name: "T3" }]);
    }],
    ["primary key", async () => {
      expect((await failure(q("INSERT INTO customer (id, email) VALUES (1, 'dup@x')"))).message).toContain("customer_pkey");
    }],
    ["unique constraint", async () => {
      expect((await failure(q("INSERT INTO customer (email) VALUES ('c1@x')"))).message).toContain("customer_email_key");
    }],
    ["check constraint", async () => {
      expect((await failure(q("INSERT INTO customer (email, credit) VALUES ('neg@x', -1)"))).message).toContain("customer_credit_check");
    }],
    ["indexes under their origin names, plus the migration's", async () => {
      const rows = await q("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('customer', 'order') ORDER BY 1");
      expect(rows.map((r) => r.indexname)).toEqual(["customer_credit", "customer_email_key", "customer_pkey", "order_cents", "order_pkey"]);
      expect(rows[0]!.indexdef).toBe("CREATE INDEX customer_credit ON public.customer USING btree (credit) WHERE (credit > 0)");
    }],
    ["defaults", async () => {
      expect(await q("INSERT INTO customer (email) VALUES ('d@x') RETURNING credit")).toEqual([{ credit: 100 }]);
    }],
    ["foreign key among touched tables, validated", async () => {
      expect((await failure(q(`INSERT INTO "order" (customer_id, total) VALUES (999, 1)`))).code).toBe("23503");
      expect(await q("SELECT confrelid::regclass::text AS parent, convalidated FROM pg_constraint WHERE conname = 'order_customer_fk'")).toEqual([
        { parent: "customer", convalidated: true },
      ]);
    }],
    ["foreign key from an untouched table, validated", async () => {
      expect((await failure(q("INSERT INTO payment (order_id) VALUES (999)"))).code).toBe("23503");
      expect((await failure(q(`DELETE FROM "order" WHERE id = 1`))).message).toContain("payment_order_fk");
      expect(await q("SELECT confrelid::regclass::text AS parent, convalidated FROM pg_constraint WHERE conname = 'payment_order_fk'")).toEqual([
        { parent: '"order"', convalidated: true },
      ]);
    }],
    ["views over touched tables, and a view over that view", async () => {
      await q(`INSERT INTO "order" (customer_id, total) VALUES (4, 1000)`);
      expect(await q("SELECT total::int FROM order_totals WHERE email = 'c4@x'")).toEqual([{ total: 1021 }]);
      expect(await q("SELECT email FROM big_spenders ORDER BY email")).toEqual([{ email: "c1@x" }, { email: "c4@x" }]);
    }],
    ["a trigger of a touched table", async () => {
      await q("DELETE FROM log");
      await q(`INSERT INTO "order" (customer_id, total) VALUES (2, 5)`);
      expect((await q("SELECT msg FROM log"))[0]!.msg).toMatch(/^order \d+$/);
    }],
    ["a table the migration created, with its rows, serial and foreign key", async () => {
      expect(await q("SELECT count(*)::int AS n FROM note")).toEqual([{ n: 4 }]);
      expect(await q("INSERT INTO note (customer_id) VALUES (1) RETURNING id")).toEqual([{ id: 5 }]);
      expect((await failure(q("INSERT INTO note (customer_id) VALUES (999)"))).message).toContain("note_customer_fk");
    }],
    ["a table the migration dropped is gone", async () => {
      expect(await q("SELECT to_regclass('legacy') AS t")).toEqual([{ t: null }]);
    }],
    ["the migrated data, the emptied shadow schema and no protection left", async () => {
      expect(await q(`SELECT id, cents FROM "order" WHERE id <= 2 ORDER BY id`)).toEqual([{ id: "1", cents: 100 }, { id: "2", cents: 200 }]);
      expect(await q("SELECT to_regnamespace('_migration_shadow') AS s")).toEqual([{ s: null }]);
      expect(await q("SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = '_migration_protect'")).toEqual([{ n: 0 }]);
    }],
  ])("%s", async (_name, check) => {
    await check();
  });
});

describe("finalize failures leave the origin as it was", () => {
  let fx: PgEngineFixture;
  afterEach(async () => fx?.dispose());

  /** Every user table with its rows and the definitions of its constraints and indexes. */
  async function origin(): Promise<unknown> {
    return {
      rows: await fx.rows(`SELECT (SELECT json_agg(c ORDER BY id) FROM customer c) AS customer, (SELECT json_agg(o ORDER BY id) FROM "order" o) AS orders`),
      objects: await fx.rows(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
      ),
    };
  }

  it("a row breaking a foreign key from an untouched table fails before the swap, naming it; writes work again", async () => {
    fx = await PgEngineFixture.create(SHOP);
    const store = await fx.openStore();
    fx.write("0001_drop_order.mjs", `export default { tables: ["order"], dataManipulation: (db) => db.exec('DELETE FROM "order" WHERE id = 2') };`);
    const before = await origin();
    expect((await fx.run("migrate", store)).exception).toBeNull();
    const run = await fx.run("finalize", store);
    expect(run.exception).toMatch(/Foreign key check failed before the swap \(foreign key "payment_order_fk"\): table "payment" row \(order_id\)=\(2\) references a missing row of "order"/);
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalization_failed"]);
    expect(await origin()).toEqual(before);
    await fx.sql.query(`INSERT INTO "order" (customer_id, total) VALUES (1, 1)`);
    expect((await fx.run("reset", store)).exception).toBeNull();
  });

  it("a view naming a column the migration renamed fails the migrate part at its end with the view's name, before any swap", async () => {
    fx = await PgEngineFixture.create(SHOP);
    const store = await fx.openStore();
    fx.write("0001_rename.mjs", `export default { tables: ["order"], writes: "protect", dataDefinition: (db) => db.exec('ALTER TABLE "order" RENAME COLUMN total TO amount') };`);
    const before = await origin();
    const run = await fx.run("finalize", store);
    expect(run.exception).toMatch(/^Finalize could not swap the migrated tables in: view "order_totals" uses column order\.total, which migration 0001_rename drops or renames/);
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["migration_failed"]);
    expect(await origin()).toEqual(before);
    expect(await fx.rows("SELECT count(*)::int AS n FROM big_spenders")).toEqual([{ n: 2 }]);
  });

  it("a transform on a table without a primary key fails clearly", async () => {
    fx = await PgEngineFixture.create("CREATE TABLE bare (x integer); INSERT INTO bare VALUES (1);");
    const store = await fx.openStore();
    fx.write("0001_bare.mjs", `export default { tables: ["bare"], transform: { bare: (row) => row } };`);
    const run = await fx.run("migrate", store);
    expect(run.exception).toMatch(/Table "bare" has no primary key: a transform on PostgreSQL reads rows in primary key order/);
    await fx.sql.query("INSERT INTO bare VALUES (2)");
  });
});
