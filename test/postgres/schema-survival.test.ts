import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgFailure, startPgService, type PgSetup } from "../helpers/pg-service.ts";

/** Every kind of schema object the issue lists, on the tables one migration touches, plus one it does not. */
const SCHEMA = `
CREATE TABLE parent (
  id serial CONSTRAINT parent_pk PRIMARY KEY,
  code text NOT NULL CONSTRAINT parent_code_unique UNIQUE,
  qty integer NOT NULL DEFAULT 7 CONSTRAINT parent_qty_nonnegative CHECK (qty >= 0),
  note text DEFAULT 'none'
);
CREATE INDEX parent_by_qty ON parent (qty);
CREATE TABLE child (id serial PRIMARY KEY, parent_id integer NOT NULL CONSTRAINT child_parent_fk REFERENCES parent (id), name text NOT NULL);
CREATE INDEX child_by_parent ON child (parent_id);
CREATE TABLE outsider (id serial PRIMARY KEY, parent_id integer NOT NULL CONSTRAINT outsider_parent_fk REFERENCES parent (id));
CREATE TABLE doomed (id integer PRIMARY KEY, what text);
CREATE VIEW parent_view AS SELECT id, code, qty FROM parent;
INSERT INTO parent (code, qty) SELECT 'p' || i, i FROM generate_series(1, 20) i;
INSERT INTO child (parent_id, name) SELECT i, 'c' || i FROM generate_series(1, 10) i;
-- Parents 11 and 12 are referenced by the untouched table only.
INSERT INTO outsider (parent_id) VALUES (11), (12);
INSERT INTO doomed VALUES (1, 'gone');
`;

/** Touches parent and child, creates audit (serial, FK to parents 1-10), drops doomed; plain names throughout. */
const MIGRATION = `export default {
  tables: ["parent", "child", "audit", "doomed"],
  async dataDefinition(db) {
    await db.exec("ALTER TABLE parent ADD COLUMN label text");
    await db.exec("CREATE INDEX parent_by_label ON parent (label)");
    await db.exec("CREATE TABLE audit (id serial PRIMARY KEY, parent_id integer NOT NULL CONSTRAINT audit_parent_fk REFERENCES parent (id), note text NOT NULL DEFAULT 'copied')");
    await db.exec("DROP TABLE doomed");
  },
  transform: {
    parent: (row) => ({ ...row, qty: row.qty * 10, label: row.code + "#" + row.id }),
    child: (row) => ({ ...row, name: row.name.toUpperCase() }),
  },
  async dataManipulation(db) {
    await db.exec("INSERT INTO audit (parent_id) SELECT id FROM parent WHERE id <= 10");
  },
};
`;

const IDENTITY_SCHEMA = `
CREATE TABLE ident (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
INSERT INTO ident (name) SELECT 'n' || i FROM generate_series(1, 20) i;
`;

const IDENTITY_MIGRATION = `export default {
  tables: ["ident"],
  async dataDefinition(db) { await db.exec("ALTER TABLE ident ADD COLUMN label text"); },
  transform: { ident: (row) => ({ ...row, label: row.name + "#" + row.id }) },
};
`;

/** Runs `schema`, then finalizes `migration` through the service. */
async function finalized(schema: string, migration: string): Promise<PgSetup> {
  const setup = await startPgService(schema, { "0001_reshape.mjs": migration });
  try {
    const done = await setup.run("finalize");
    if (done.status !== "finalized") throw new Error(`finalize did not finish: ${JSON.stringify(done)}`);
    return setup;
  } catch (error) {
    await setup.dispose();
    throw error;
  }
}

describe("schema objects survive the finalize swap (PostgreSQL)", () => {
  let setup: PgSetup;
  beforeAll(async () => {
    setup = await finalized(SCHEMA, MIGRATION);
  });
  afterAll(() => setup?.dispose());
  const q = (sql: string) => setup.db.query(sql);

  it("serial id: an insert after finalize gets a fresh id, and the sequence still exists", async () => {
    const [row] = await q("INSERT INTO parent (code) VALUES ('after-serial') RETURNING id");
    expect(Number(row!.id)).toBeGreaterThan(20);
    expect(await q("SELECT pg_get_serial_sequence('parent', 'id') IS NOT NULL AS owned")).toEqual([{ owned: true }]);
  });

  it("primary key: a duplicate id is rejected", async () => {
    expect(await pgFailure(q("INSERT INTO parent (id, code) VALUES (1, 'dup-id')"))).toMatchObject({ code: "23505", message: expect.stringContaining("parent_pk") });
  });

  it("unique constraint: a duplicate code is rejected", async () => {
    expect(await pgFailure(q("INSERT INTO parent (code) VALUES ('p1')"))).toMatchObject({ code: "23505", message: expect.stringContaining("parent_code_unique") });
  });

  it("check constraint: a negative qty is rejected", async () => {
    expect(await pgFailure(q("INSERT INTO parent (code, qty) VALUES ('neg', -1)"))).toMatchObject({ code: "23514", message: expect.stringContaining("parent_qty_nonnegative") });
  });

  it("indexes: every index is present by name, plus the one the migration added", async () => {
    const rows = await q("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('parent', 'child')");
    expect(rows.map((r) => String(r.indexname)).sort()).toEqual(
      ["child_by_parent", "child_pkey", "parent_by_label", "parent_by_qty", "parent_code_unique", "parent_pk"],
    );
  });

  it("defaults: omitted columns get their defaults", async () => {
    expect(await q("INSERT INTO parent (code) VALUES ('defaults') RETURNING qty, note, label")).toEqual([{ qty: 7, note: "none", label: null }]);
  });

  it("foreign key among touched tables: child → parent is enforced, validated, and points at the new parent", async () => {
    expect(await pgFailure(q("INSERT INTO child (parent_id, name) VALUES (9999, 'orphan')"))).toMatchObject({ code: "23503" });
    await q("INSERT INTO parent (id, code) VALUES (5000, 'fk-target'); INSERT INTO child (parent_id, name) VALUES (5000, 'ok')");
    expect(await q("SELECT confrelid::regclass::text AS target, convalidated FROM pg_constraint WHERE conname = 'child_parent_fk'")).toEqual([
      { target: "parent", convalidated: true },
    ]);
    expect(await q("SELECT name FROM child WHERE id = 3")).toEqual([{ name: "C3" }]);
  });

  it("foreign key from an untouched table: outsider → parent is still enforced both ways", async () => {
    expect(await pgFailure(q("INSERT INTO outsider (parent_id) VALUES (9999)"))).toMatchObject({ code: "23503" });
    expect(await pgFailure(q("DELETE FROM parent WHERE id = 11"))).toMatchObject({ code: "23503", message: expect.stringContaining("outsider_parent_fk") });
    expect(await q("SELECT confrelid::regclass::text AS target, convalidated FROM pg_constraint WHERE conname = 'outsider_parent_fk'")).toEqual([
      { target: "parent", convalidated: true },
    ]);
  });

  it("view over a touched table: reads the new table (migrated values and later rows)", async () => {
    expect(await q("SELECT id, code, qty FROM parent_view WHERE id IN (2, 3) ORDER BY id")).toEqual([
      { id: 2, code: "p2", qty: 20 },
      { id: 3, code: "p3", qty: 30 },
    ]);
    await q("INSERT INTO parent (id, code, qty) VALUES (6000, 'seen-by-view', 1)");
    expect(await q("SELECT code FROM parent_view WHERE id = 6000")).toEqual([{ code: "seen-by-view" }]);
  });

  it("a table the migration created exists with its rows, a working serial and its foreign key", async () => {
    expect(await q("SELECT count(*)::int AS n FROM audit")).toEqual([{ n: 10 }]);
    const [row] = await q("INSERT INTO audit (parent_id) VALUES (1) RETURNING id, note");
    expect(row).toEqual({ id: 11, note: "copied" });
    expect(await pgFailure(q("INSERT INTO audit (parent_id) VALUES (9999)"))).toMatchObject({ code: "23503" });
  });

  it("a table the migration dropped is gone", async () => {
    expect(await q("SELECT to_regclass('public.doomed') AS t")).toEqual([{ t: null }]);
  });

  it("the migrated data itself: new column filled, rows unchanged otherwise", async () => {
    expect(await q("SELECT id, code, qty, note, label FROM parent WHERE id = 4")).toEqual([{ id: 4, code: "p4", qty: 40, note: "none", label: "p4#4" }]);
  });
});

describe("an identity column survives the finalize swap (PostgreSQL)", () => {
  let setup: PgSetup;
  beforeAll(async () => {
    setup = await finalized(IDENTITY_SCHEMA, IDENTITY_MIGRATION);
  });
  afterAll(() => setup?.dispose());

  it("GENERATED ALWAYS identity: rows migrated, an insert after finalize gets a fresh id", async () => {
    expect(await setup.db.query("SELECT id, label FROM ident WHERE id = 20")).toEqual([{ id: 20, label: "n20#20" }]);
    expect(await setup.db.query("INSERT INTO ident (name) VALUES ('after') RETURNING id")).toEqual([{ id: 21 }]);
    expect(await setup.db.query("SELECT attidentity FROM pg_attribute WHERE attrelid = 'ident'::regclass AND attname = 'id'")).toEqual([{ attidentity: "a" }]);
  });
});
