import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/migrations/loader.ts";
import { MigrationFileError } from "../../src/migrations/migration-file-error.ts";
import { splitSqlStatements } from "../../src/migrations/sql-statements.ts";
import { sqlMigration } from "../../src/migrations/sql-file.ts";
import { StatementError } from "../../src/migrations/statement-error.ts";
import type { MigrationDb } from "../../src/migrations/types.ts";
import { writeTraitsOf } from "../../src/migrations/write-traits.ts";
import { makeTempDir } from "../helpers/migration-fixtures.ts";

const tablesOf = (sql: string) => sqlMigration(sql, "0001_x.sql").tables;
const refusalOf = (sql: string): string => {
  try {
    sqlMigration(sql, "0007_bad.sql");
  } catch (error) {
    expect(error).toBeInstanceOf(MigrationFileError);
    return (error as Error).message;
  }
  throw new Error("the file was accepted");
};

/** A db that records each statement and fails the ones matching `failing` as the stores do (a StatementError). */
function recordingDb(failing?: RegExp): MigrationDb & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    dialect: "postgres",
    verbose: false,
    query: () => Promise.resolve([]),
    exec(sql: string) {
      ran.push(sql);
      if (failing?.test(sql)) return Promise.reject(new StatementError('column "nope" does not exist', sql, { inStatement: { line: 2, column: 7 } }));
      return Promise.resolve();
    },
    log: () => {},
  };
}

describe("splitSqlStatements", () => {
  it("splits at semicolons outside literals, quoted names, comments, dollar quotes and trigger bodies, with each statement's line", () => {
    const text = [
      "-- a comment; with a semicolon",
      "ALTER TABLE t ADD COLUMN a text DEFAULT 'x;y''z';",
      "/* block; /* nested; */ still; */ CREATE INDEX \"i;1\" ON t (a);",
      "COMMENT ON TABLE t IS $body$ has ; inside $body$;",
      "COMMENT ON TABLE t IS E'it\\'s; fine';",
      ";;",
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN",
      "  UPDATE t SET a = CASE WHEN 1 THEN 'b' END;",
      "  SELECT 1;",
      "END;",
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;",
      "CREATE TABLE begin_end (begin int, done bool CHECK (CASE WHEN done THEN true END));",
      "DROP TABLE old_t",
    ].join("\n");
    const statements = splitSqlStatements(text);
    expect(statements.map((s) => [s.line, s.sql])).toEqual([
      [2, "ALTER TABLE t ADD COLUMN a text DEFAULT 'x;y''z'"],
      [3, "CREATE INDEX \"i;1\" ON t (a)"],
      [4, "COMMENT ON TABLE t IS $body$ has ; inside $body$"],
      [5, "COMMENT ON TABLE t IS E'it\\'s; fine'"],
      [7, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = CASE WHEN 1 THEN 'b' END;\n  SELECT 1;\nEND"],
      [11, "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END"],
      [12, "CREATE TABLE begin_end (begin int, done bool CHECK (CASE WHEN done THEN true END))"],
      [13, "DROP TABLE old_t"],
    ]);
  });
});

describe("sqlMigration: the tables of a .sql file", () => {
  it.each<[string, string, string[]]>([
    ["ALTER TABLE", "ALTER TABLE customer ADD COLUMN email text", ["customer"]],
    ["lower-case keywords, ONLY and IF EXISTS", "alter table if exists only Customer drop column email", ["customer"]],
    ["a quoted name", `ALTER TABLE "order" ADD COLUMN total_cents integer`, ["order"]],
    ["a table renamed", "ALTER TABLE person RENAME TO people", ["person", "people"]],
    ["a column renamed (no new table)", "ALTER TABLE person RENAME COLUMN a TO b", ["person"]],
    ["CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS person_email ON ONLY person (email)", ["person"]],
    ["an index without a name", "CREATE INDEX ON person (email)", ["person"]],
    ["a new table", "CREATE TABLE IF NOT EXISTS address (id integer PRIMARY KEY, street text)", ["address"]],
    ["DROP TABLE with several names", "DROP TABLE IF EXISTS a, \"b\" CASCADE", ["a", "b"]],
    ["COMMENT ON TABLE and COLUMN", "COMMENT ON TABLE person IS 'x'; COMMENT ON COLUMN item.qty IS 'y'", ["person", "item"]],
    ["a trigger", "CREATE TRIGGER tr BEFORE UPDATE OF qty ON item FOR EACH ROW EXECUTE FUNCTION f()", ["item"]],
    ["each table once, in order", "ALTER TABLE a ADD x int; CREATE INDEX ai ON a (x); ALTER TABLE b ADD y int", ["a", "b"]],
    ["a header adding a table the statements do not name", "-- tables: item\nDROP INDEX item_qty", ["item"]],
    ["a header and named tables together", "-- tables: item\nALTER TABLE person ADD z int;\nDROP INDEX item_qty", ["person", "item"]],
    ["a foreign key to an original table by its schema", "ALTER TABLE person ADD CONSTRAINT person_city FOREIGN KEY (city_id) REFERENCES public.city (id)", ["person"]],
  ])("%s", (_case, sql, tables) => {
    expect(tablesOf(sql)).toEqual(tables);
  });

  it("runs as dataDefinition with the same write traits as the .ts migration that does the same", async () => {
    const migration = sqlMigration("-- writes: capture\nALTER TABLE a ADD x int;\nALTER TABLE b ADD y int;", "0001_x.sql");
    expect(writeTraitsOf(migration)).toEqual(writeTraitsOf({ tables: ["a", "b"], writes: "capture", dataDefinition: () => {} }));
    const db = recordingDb();
    await migration.dataDefinition!(db);
    expect(db.ran).toEqual(["ALTER TABLE a ADD x int", "ALTER TABLE b ADD y int"]);
  });

  it("a failed statement says its line in the file", async () => {
    const migration = sqlMigration("-- first\nALTER TABLE a ADD x int;\n\nALTER TABLE a\n  ADD y int REFERENCES nope;\n", "0003_fk.sql");
    const error = await Promise.resolve(migration.dataDefinition!(recordingDb(/nope/))).catch((e: unknown) => e);
    expect((error as Error).message).toBe('column "nope" does not exist\n  in: ALTER TABLE a ADD y int REFERENCES nope\n  at: 0003_fk.sql line 5, column 7');
  });

  it.each<[string, string, string]>([
    ["an INSERT", "ALTER TABLE item ADD note text;\n\ninsert into item (name) values ('x');", `"0007_bad.sql" is invalid: line 3 (insert into item (name) values ('x')): it reads or changes rows; data changes belong in a .ts migration's transform or dataManipulation`],
    ["an UPDATE", "UPDATE item SET qty = 0", "line 1 (UPDATE item SET qty = 0): it reads or changes rows"],
    ["a DELETE, even with a header", "-- tables: item\nDELETE FROM item", "line 2 (DELETE FROM item): it reads or changes rows"],
    ["transaction control", "BEGIN; ALTER TABLE item ADD x int; COMMIT;", "line 1 (BEGIN): the service runs each statement itself"],
    ["a schema-qualified name", "ALTER TABLE public.item ADD x int", `"public.item" names a table with its schema; write the plain name item`],
    ["an original's index by its schema, even with a header", "-- tables: item\nDROP INDEX IF EXISTS public.item_qty", `line 2 (DROP INDEX IF EXISTS public.item_qty): "public.item_qty" names an object of the original tables by its schema`],
    ["a statement naming no table", "DROP INDEX item_qty", `line 1 (DROP INDEX item_qty): the statement names no table the service can see; name the tables it changes in a header line "-- tables: a, b" among the comments that open the file`],
    ["a view", "CREATE VIEW v AS SELECT 1", "the statement names no table"],
    ["an empty file", "-- nothing here\n", "it holds no SQL statement"],
    ["a reserved table", "CREATE TABLE _migration_x (a int)", "uses a reserved prefix"],
    ["a bad writes header", "-- writes: sometimes\nALTER TABLE item ADD x int", '`writes` must be "capture" or "protect"'],
  ])("refuses %s, naming the file, the line and the statement", (_case, sql, message) => {
    const text = refusalOf(sql);
    expect(text).toContain('Migration file "0007_bad.sql" is invalid: ');
    expect(text).toContain(message);
  });
});

describe("loadMigrations with .sql files", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("loads .sql files among the others, with the checksum of their bytes; a bad one stops the load naming it", async () => {
    dir = makeTempDir("mig-sql-");
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
    writeFileSync(join(dir, "0001_first.mjs"), `export default { tables: ["item"] };`);
    writeFileSync(join(dir, "0002_email.sql"), "ALTER TABLE customer ADD COLUMN email text;\nCREATE INDEX customer_email ON customer (email);\n");
    const loaded = await loadMigrations(dir);
    expect(loaded.map((m) => [m.index, m.name, m.migration.tables])).toEqual([
      [1, "0001_first", ["item"]],
      [2, "0002_email", ["customer"]],
    ]);
    expect(loaded[1]!.checksum).toBe(createHash("sha256").update(readFileSync(join(dir, "0002_email.sql"))).digest("hex"));

    writeFileSync(join(dir, "0003_fill.sql"), "UPDATE customer SET email = 'x'");
    const error = await loadMigrations(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFileError);
    expect((error as Error).message).toMatch(/^Migration file "0003_fill.sql" is invalid: line 1 \(UPDATE customer SET email = 'x'\): it reads or changes rows/);
  });
});
