import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS, type StoreTarget } from "../helpers/store-targets.ts";
import { serveFresh } from "../helpers/test-service.ts";
import { personTable } from "../helpers/person-table.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ROWS = 3_000;


const setUp = (target: StoreTarget, files: Record<string, string>) => serveFresh(target, personTable(target, ROWS), files, cleanups);

const columnsOf = async (db: { query(sql: string): Promise<Record<string, unknown>[]> }, target: StoreTarget) =>
  target.name === "sqlite"
    ? (await db.query("SELECT name FROM pragma_table_info('person') ORDER BY cid")).map((r) => r.name)
    : (await db.query("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'person' ORDER BY ordinal_position")).map((r) => r.name);

const indexesOf = async (db: { query(sql: string): Promise<Record<string, unknown>[]> }, target: StoreTarget) =>
  target.name === "sqlite"
    ? (await db.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'person' AND sql IS NOT NULL")).map((r) => r.name)
    : (await db.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'person' AND indexname <> 'person_pkey'")).map((r) => r.name);

for (const target of STORE_TARGETS) {
  describe(`SQL-expression transforms and declared in-place changes (${target.name})`, () => {
    it("an SQL expression fills a declared new column in the database's own copy; the table is protected while it migrates", async () => {
      const { db, service } = await setUp(target, {
        "0001_full_name.mjs": `export default {
          tables: ["person"],
          alter: { person: [{ addColumn: { name: "full_name", type: "text" } }] },
          transform: { person: { full_name: { sql: "first_name || ' ' || last_name" } } },
        };`,
      });
      await service.post({ cmd: "migrate", verbose: true });
      const migrated = await service.settle();
      expect(migrated).toMatchObject({ status: "finalization_required", migratable_models: { count: ROWS, migrated: ROWS } });
      expect(String(migrated.output)).toContain(`migration 0001_full_name: copied table "person" (${ROWS} rows) through its transform\n`);
      expect(migrated.writes).toEqual({ person: expect.objectContaining({ mode: "protected", reason: expect.stringContaining("SQL expressions") }) });
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name"]);

      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      const rows = await db.query("SELECT id, full_name FROM person ORDER BY id");
      expect(rows).toHaveLength(ROWS);
      expect(rows.every((r) => r.full_name === `Ann${Number(r.id)} O'Neil`)).toBe(true);
    });

    it("after a dataDefinition, SQL expressions update the shadow copy's rows", async () => {
      const { db, service } = await setUp(target, {
        "0001_shout.mjs": `export default {
          tables: ["person"],
          async dataDefinition(db) { await db.exec("ALTER TABLE person ADD COLUMN initials text"); },
          transform: { person: { initials: { sql: "substr(first_name, 1, 1) || substr(last_name, 1, 1)" }, last_name: { sql: "upper(last_name)" } } },
        };`,
      });
      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      const rows = await db.query("SELECT initials, last_name FROM person");
      expect(rows).toHaveLength(ROWS);
      expect(rows.every((r) => r.initials === "AO" && r.last_name === "O'NEIL")).toBe(true);
    });

    it("a table changed only in place gets no copy: the original stays as it was and writable until finalize applies the steps", async () => {
      const { db, service } = await setUp(target, {
        "0001_nickname.mjs": `export default {
          tables: [],
          alter: { person: [
            { addColumn: { name: "nickname", type: "text", default: "none", notNull: true } },
            { createIndex: { name: "person_last_name", columns: ["last_name"] } },
            { renameColumn: { from: "first_name", to: "given_name" } },
          ] },
        };`,
      });
      await service.post({ cmd: "migrate", verbose: true });
      const migrated = await service.settle();
      expect(migrated).toMatchObject({ status: "finalization_required", writes: {} });
      expect(String(migrated.output)).toContain(`migration 0001_nickname: add column "nickname" text NOT NULL DEFAULT 'none' on "person" waits for finalize (in place, no copy)\n`);
      expect(String(migrated.output)).not.toContain("copied table");
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name"]);
      await db.exec("INSERT INTO person (id, first_name, last_name) VALUES (100000, 'Written', 'During')");

      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await columnsOf(db, target)).toEqual(["id", "given_name", "last_name", "nickname"]);
      expect(await indexesOf(db, target)).toEqual(["person_last_name"]);
      const rows = await db.query("SELECT id, given_name, nickname FROM person ORDER BY id");
      expect(rows).toHaveLength(ROWS + 1);
      expect(rows.at(-1)).toEqual({ id: 100000, given_name: "Written", nickname: "none" });
      expect(rows.every((r) => r.nickname === "none")).toBe(true);
    });

    it("a later migration that copies the table sees the shape the earlier in-place steps declared", async () => {
      const { db, service } = await setUp(target, {
        "0001_nickname.mjs": `export default { tables: [], alter: { person: [{ addColumn: { name: "nickname", type: "text" } }] } };`,
        "0002_fill_nickname.mjs": `export default { tables: ["person"], transform: { person: (row) => ({ ...row, nickname: row.first_name.toLowerCase() }) } };`,
      });
      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      const rows = await db.query("SELECT id, nickname FROM person ORDER BY id");
      expect(rows).toHaveLength(ROWS);
      expect(rows.every((r) => r.nickname === `ann${Number(r.id)}`)).toBe(true);
    });

    it("a step that cannot apply fails migrate with the step and the reason, and leaves the table as it was", async () => {
      const { db, service } = await setUp(target, {
        "0001_bad.mjs": `export default { tables: [], alter: { person: [{ renameColumn: { from: "nickname", to: "alias" } }] } };`,
      });
      await service.post({ cmd: "migrate" });
      expect(await service.settle()).toMatchObject({
        status: "migration_failed",
        exception: 'Cannot rename column "nickname" to "alias" on table "person": it has no column "nickname"',
      });
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name"]);
    });
  });
}
