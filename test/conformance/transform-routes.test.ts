import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { serveFresh } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** More rows than two ranges (20,000 each), so a table moves in several ranges, the last one partial (and on SQLite in parts of 5,000). */
const ROWS = 41_234;
/** Text that COPY and SQL quoting must carry unchanged. */
const AWKWARD = "tab\there, line\nbreak, back\\slash, 'quote' \"dq\" ünïcødé ☃ \\N";

const READING_SCHEMA: Record<string, string> = {
  sqlite: `CREATE TABLE reading (sensor TEXT NOT NULL, at INTEGER NOT NULL, value REAL, note TEXT, unit TEXT NOT NULL DEFAULT 'C',
             PRIMARY KEY (sensor, at)) WITHOUT ROWID;
           CREATE INDEX reading_value ON reading (value);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
           INSERT INTO reading (sensor, at, value, note, unit)
           SELECT 's' || (i % 7) || char(9) || 'x', i, i / 4.0, CASE WHEN i % 10 = 0 THEN NULL ELSE ${sqlText(AWKWARD)} || i END, 'K' FROM n;`,
  postgres: `CREATE TABLE reading (sensor text NOT NULL, at integer NOT NULL, value double precision, note text, unit text NOT NULL DEFAULT 'C',
               PRIMARY KEY (sensor, at));
             CREATE INDEX reading_value ON reading (value);
             INSERT INTO reading (sensor, at, value, note, unit)
             SELECT 's' || (i % 7) || chr(9) || 'x', i, i / 4.0, CASE WHEN i % 10 = 0 THEN NULL ELSE ${sqlText(AWKWARD)} || i END, 'K'
             FROM generate_series(1, ${ROWS}) i;`,
};

function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Doubles `value`, drops every 3rd row, and leaves `unit` out (so it gets its default). */
const READING_TRANSFORM = `(row) => {
  if (row.at % 3 === 0) return null;
  const { unit, ...rest } = row;
  return { ...rest, value: row.value * 2, note: row.note === null ? "was null" : row.note.toUpperCase() };
}`;

interface Reading {
  sensor: string;
  at: number;
  value: number;
  note: string | null;
  unit: string;
}

const readings = async (db: TestDatabase): Promise<Reading[]> =>
  (await db.query("SELECT sensor, at, value, note, unit FROM reading ORDER BY sensor, at")).map((r) => ({ ...(r as unknown as Reading), at: Number(r.at) }));

const setUp = (target: (typeof STORE_TARGETS)[number], schema: string, files: Record<string, string>) => serveFresh(target, schema, files, cleanups);

for (const target of STORE_TARGETS) {
  describe(`transform routes move every row exactly once (${target.name})`, () => {
    it("without dataDefinition: copies and transforms in one pass over several ranges; keys, indexes and defaults end up as with a copy", async () => {
      const { db, service } = await setUp(target, READING_SCHEMA[target.name]!, {
        "0001_double_values.mjs": `export default { tables: ["reading"], transform: { reading: ${READING_TRANSFORM} } };`,
      });
      const before = await readings(db);
      expect(before).toHaveLength(ROWS);

      await service.post({ cmd: "migrate", verbose: true });
      const migrated = await service.settle();
      expect(migrated).toMatchObject({ status: "finalization_required", migratable_models: { count: ROWS, migrated: ROWS } });
      expect(String(migrated.output)).toContain(`migration 0001_double_values: copied table "reading" (${ROWS} rows) through its transform\n`);
      expect(await readings(db)).toEqual(before);

      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      const expected = before
        .filter((r) => r.at % 3 !== 0)
        .map((r) => ({ ...r, value: r.value * 2, note: r.note === null ? "was null" : r.note.toUpperCase(), unit: "C" }));
      expect(await readings(db)).toEqual(expected);
      // The key and the secondary index came along: a duplicate key is refused, the index exists.
      await expect(db.exec(`INSERT INTO reading (sensor, at, value) VALUES (${sqlText(expected[0]!.sensor)}, ${expected[0]!.at}, 1)`)).rejects.toThrow(/unique|duplicate/i);
      const indexes = target.name === "sqlite"
        ? await db.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'reading' AND sql IS NOT NULL")
        : await db.query("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'reading' AND indexname = 'reading_value'");
      expect(indexes).toEqual([{ name: "reading_value" }]);
    });

    it("with dataDefinition: transforms the altered copy in place over several ranges", async () => {
      const { db, service } = await setUp(target, READING_SCHEMA[target.name]!, {
        "0001_flag_readings.mjs": `export default {
          tables: ["reading"],
          async dataDefinition(db) { await db.exec("ALTER TABLE reading ADD COLUMN flagged INTEGER DEFAULT 7"); },
          transform: { reading: (row) => row.at % 2 === 0 ? { ...row, flagged: row.flagged + row.at } : row.at % 5 === 0 ? null : row },
        };`,
      });
      const before = await readings(db);
      await service.post({ cmd: "finalize" });
      const done = await service.settle();
      expect(done).toMatchObject({ status: "finalized" });
      const rows = (await db.query("SELECT sensor, at, flagged FROM reading ORDER BY sensor, at")).map((r) => ({ ...r, at: Number(r.at), flagged: Number(r.flagged) }));
      const expected = before
        .filter((r) => r.at % 2 === 0 || r.at % 5 !== 0)
        .map((r) => ({ sensor: r.sensor, at: r.at, flagged: r.at % 2 === 0 ? 7 + r.at : 7 }));
      expect(rows).toEqual(expected);
    });

    it("wide rows move in shorter ranges, so a range holds about 8 MB whatever the row size", async () => {
      const wide = target.name === "sqlite"
        ? `CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) INSERT INTO doc SELECT i, printf('%.*c', 400000, 'x') FROM n;`
        : `CREATE TABLE doc (id integer PRIMARY KEY, body text NOT NULL);
           INSERT INTO doc SELECT i, repeat('x', 400000) FROM generate_series(1, 60) i;`;
      const { db, service } = await setUp(target, wide, {
        "0001_sign.mjs": `export default { tables: ["doc"], transform: { doc: (row) => ({ ...row, body: row.body + "!" }) } };`,
      });
      await service.post({ cmd: "migrate", verbose: true });
      const migrated = await service.settle();
      expect(migrated).toMatchObject({ status: "finalization_required", migratable_models: { count: 60, migrated: 60 } });
      // 400 kB rows: 20 rows per range, so the 60 rows take 3 ranges (4 when the last one ends exactly at the last row).
      expect(String(migrated.output)).toMatch(/transform of "doc" took [\d.]+ ms in [34] batches\n/);
      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await db.query("SELECT count(*) AS n, min(length(body)) AS shortest FROM doc")).toEqual([
        target.name === "sqlite" ? { n: 60, shortest: 400001 } : { n: "60", shortest: 400001 },
      ]);
    });

    it("an empty table moves in one empty range and keeps its shape", async () => {
      const { db, service } = await setUp(target, `CREATE TABLE empty_one (id INTEGER PRIMARY KEY, name TEXT);`, {
        "0001_empty.mjs": `export default { tables: ["empty_one"], transform: { empty_one: (row) => ({ ...row, name: "x" }) } };`,
      });
      await service.post({ cmd: "finalize", verbose: true });
      const done = await service.settle();
      expect(done).toMatchObject({ status: "finalized" });
      expect(done).not.toHaveProperty("exception");
      expect(String(done.output)).toContain('copied table "empty_one" (0 rows) through its transform');
      await db.exec("INSERT INTO empty_one (id, name) VALUES (1, 'a')");
      expect(await db.query("SELECT id, name FROM empty_one")).toEqual([{ id: 1, name: "a" }]);
    });
  });
}
