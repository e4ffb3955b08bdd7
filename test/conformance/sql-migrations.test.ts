import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS, type StoreTarget, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, serveFresh, startTestService, writeMigrations } from "../helpers/test-service.ts";
import { personTable } from "../helpers/person-table.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ROWS = 2_000;


const ADD_EMAIL = `-- 0001_add_email.sql: a column and an index
ALTER TABLE "person" ADD COLUMN email TEXT DEFAULT 'none; yet';  -- a semicolon in a literal

/* the index; in its own statement */
create index person_email on Person (email);
`;

const columnsOf = async (db: TestDatabase, target: StoreTarget) =>
  target.name === "sqlite"
    ? (await db.query("SELECT name FROM pragma_table_info('person') ORDER BY cid")).map((r) => r.name)
    : (await db.query("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'person' ORDER BY ordinal_position")).map((r) => r.name);

const indexesOf = async (db: TestDatabase, target: StoreTarget) =>
  target.name === "sqlite"
    ? (await db.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'person' AND sql IS NOT NULL")).map((r) => r.name)
    : (await db.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'person' AND indexname <> 'person_pkey'")).map((r) => r.name);

const rowsOf = (db: TestDatabase) => db.query("SELECT id, first_name, last_name FROM person ORDER BY id");

for (const target of STORE_TARGETS) {
  describe(`plain .sql migrations (${target.name})`, () => {
    it("a .sql file adds a column and an index through migrate and finalize; its table stays writable as a .ts one's would", async () => {
      const { db, service } = await serveFresh(target, personTable(target, ROWS), { "0001_add_email.sql": ADD_EMAIL }, cleanups);
      const before = await rowsOf(db);
      expect(before).toHaveLength(ROWS);

      await service.post({ cmd: "migrate" });
      const migrated = await service.settle();
      expect(migrated).toMatchObject({ status: "finalization_required" });
      expect(migrated.writes).toEqual({ person: expect.objectContaining({ mode: "captured" }) });
      await db.exec("INSERT INTO person (id, first_name, last_name) VALUES (999999, 'Late', 'Writer')");
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name"]);

      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name", "email"]);
      expect(await indexesOf(db, target)).toEqual(["person_email"]);
      expect(await rowsOf(db)).toEqual([...before, { id: 999999, first_name: "Late", last_name: "Writer" }]);
      expect(await db.query("SELECT DISTINCT email FROM person")).toEqual([{ email: "none; yet" }]);
    });

    it("a .sql file with a data change stops the start, naming the file, line and statement; the database is as it was", async () => {
      const db = await target.create();
      await db.exec(personTable(target, ROWS));
      const dir = writeMigrations({
        "0001_add_email.sql": ADD_EMAIL,
        "0002_fill_email.sql": "ALTER TABLE person ADD COLUMN phone TEXT;\n\nUPDATE person SET email = first_name || '@example.com';\n",
      });
      cleanups.push(async () => {
        await db.drop();
        removeDir(dir);
      });
      const before = await rowsOf(db);
      await expect(startTestService(db, dir)).rejects.toThrow(
        `Migration file "0002_fill_email.sql" is invalid: line 3 (UPDATE person SET email = first_name || '@example.com'): it reads or changes rows; data changes belong in a .ts migration's transform or dataManipulation`,
      );
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name"]);
      expect(await rowsOf(db)).toEqual(before);
    });

    it("a statement the database refuses fails migrate with the statement and its line in the file; the original stays as it was and writable", async () => {
      const { db, service } = await serveFresh(target, personTable(target, ROWS), {
        "0001_bad_index.sql": "ALTER TABLE person ADD COLUMN email TEXT;\n\nCREATE INDEX person_email\n  ON person (email,);\n",
      }, cleanups);
      const before = await rowsOf(db);
      await service.post({ cmd: "migrate" });
      const failed = await service.settle();
      expect(failed.status).toBe("migration_failed");
      // PostgreSQL says where in the statement, so the file's line and column are exact; SQLite gives the statement's first line.
      const reason = target.name === "postgres" ? 'syntax error at or near ")"' : 'near ")": syntax error';
      const at = target.name === "postgres" ? "0001_bad_index.sql line 4, column 20" : "0001_bad_index.sql line 3";
      expect(failed.exception).toBe(`dataDefinition of 0001_bad_index failed: ${reason}\n  in: CREATE INDEX person_email ON person (email,)\n  at: ${at}`);
      expect(String(failed.output)).toContain(`migration 0001_bad_index failed: dataDefinition of 0001_bad_index failed: ${reason}\n  in: `);
      expect(await columnsOf(db, target)).toEqual(["id", "first_name", "last_name"]);
      await db.exec("UPDATE person SET last_name = 'Written' WHERE id = 1");
      expect(await rowsOf(db)).toEqual([{ ...before[0], last_name: "Written" }, ...before.slice(1)]);
    });
    it("a unique index the data breaks: the database's reason, and on PostgreSQL its detail", async () => {
      const { service } = await serveFresh(target, personTable(target, ROWS), { "0001_unique_last_name.sql": "CREATE UNIQUE INDEX person_last_name ON person (last_name);\n" }, cleanups);
      await service.post({ cmd: "migrate" });
      const failed = await service.settle();
      const reason = target.name === "postgres"
        ? `could not create unique index "person_last_name"\n  in: CREATE UNIQUE INDEX person_last_name ON person (last_name)\n  at: 0001_unique_last_name.sql line 1\n  detail: Key (last_name)=(O'Neil) is duplicated.`
        : "UNIQUE constraint failed: person.last_name\n  in: CREATE UNIQUE INDEX person_last_name ON person (last_name)\n  at: 0001_unique_last_name.sql line 1";
      expect(failed).toMatchObject({ status: "migration_failed", exception: `dataDefinition of 0001_unique_last_name failed: ${reason}` });
    });
  });

  describe(`a statement the database refuses in a .ts migration (${target.name})`, () => {
    it("the exception names the function and the migration and shows the statement (PostgreSQL: where in it)", async () => {
      const { db, service } = await serveFresh(target, personTable(target, ROWS), {
        "0001_fill.mjs": `export default {
          tables: ["person"],
          async dataManipulation(db) { await db.exec("UPDATE person SET first_name = last_name;\\nUPDATE person\\n   SET nope = 1"); },
        };`,
      }, cleanups);
      const before = await rowsOf(db);
      await service.post({ cmd: "migrate" });
      const failed = await service.settle();
      const reason = target.name === "postgres" ? `column "nope" of relation "person" does not exist` : "no such column: nope";
      const at = target.name === "postgres" ? "\n  at: line 2, column 8 of the statement" : "";
      expect(failed).toMatchObject({ status: "migration_failed", exception: `dataManipulation of 0001_fill failed: ${reason}\n  in: UPDATE person SET nope = 1${at}` });
      expect(await rowsOf(db)).toEqual(before);
    });
  });
}
