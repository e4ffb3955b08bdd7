import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { EngineFixture } from "../helpers/migration-fixtures.ts";
import { PgEngineFixture } from "../stores/postgres/pg-engine-fixture.ts";

/** Rows of each table: too few for the row count alone to cut more than PROGRESS_STEPS ranges. */
const ROWS = 1_000;
/** Rows of the mixed table: narrow up to MIXED_NARROW, then 2 kB. */
const MIXED = 3_000;
const MIXED_NARROW = 2_000;
/** Bytes per range for this test: about 30 of the 2 kB rows, more than 100 of the narrow ones. */
const RANGE_BYTES = 64 * 1024;

const SQLITE_SCHEMA = `
CREATE TABLE narrow (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE wide (id INTEGER PRIMARY KEY, label TEXT NOT NULL, body TEXT NOT NULL, doc TEXT NOT NULL);
WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ${ROWS}) INSERT INTO narrow SELECT v, 'n' || v FROM n;
WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ${ROWS})
  INSERT INTO wide SELECT v, 'w' || v, lower(hex(randomblob(1024))), json_object('id', v, 'tags', json_array('a', hex(randomblob(8)))) FROM n;
CREATE TABLE mixed (id INTEGER PRIMARY KEY, label TEXT NOT NULL, body TEXT);
WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ${MIXED})
  INSERT INTO mixed SELECT v, 'm' || v, CASE WHEN v > ${MIXED_NARROW} THEN lower(hex(randomblob(1024))) END FROM n;
`;

const PG_SCHEMA = `
CREATE TABLE narrow (id integer PRIMARY KEY, label text NOT NULL);
CREATE TABLE wide (id integer PRIMARY KEY, label text NOT NULL, body text NOT NULL, doc json NOT NULL);
INSERT INTO narrow SELECT v, 'n' || v FROM generate_series(1, ${ROWS}) v;
INSERT INTO wide SELECT v, 'w' || v, (SELECT string_agg(md5(v || '-' || j), '') FROM generate_series(1, 64) j),
  json_build_object('id', v, 'tags', json_build_array('a', md5(v::text))) FROM generate_series(1, ${ROWS}) v;
CREATE TABLE mixed (id integer PRIMARY KEY, label text NOT NULL, body text);
INSERT INTO mixed SELECT v, 'm' || v, CASE WHEN v > ${MIXED_NARROW} THEN (SELECT string_agg(md5(v || '-' || j), '') FROM generate_series(1, 64) j) END
  FROM generate_series(1, ${MIXED}) v;
ANALYZE narrow; ANALYZE wide; ANALYZE mixed;
`;

const UPPER = `const upper = (row) => ({ ...row, label: row.label.toUpperCase() });
export default { tables: ["narrow", "wide", "mixed"], transform: { narrow: upper, wide: upper, mixed: upper } };`;

/** One store's engine fixture, reduced to what this test does with it. */
interface Harness {
  run(command: "migrate" | "finalize"): Promise<{ exception: string | null; output: string }>;
  rows(table: string): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

const HARNESSES: { name: string; open(): Promise<Harness> }[] = [
  {
    name: "sqlite",
    async open() {
      const fx = new EngineFixture(SQLITE_SCHEMA);
      fx.write("0001_upper.mjs", UPPER);
      return {
        async run(command) {
          const run = await fx.run(command, { verbose: true, workers: 2, batchRows: 20_000, rangeBytes: RANGE_BYTES });
          return { exception: run.exception, output: run.snapshot.command.output };
        },
        rows: async (table) => fx.rows(`SELECT * FROM ${table} ORDER BY id`),
        dispose: () => fx.dispose(),
      };
    },
  },
  {
    name: "postgres",
    async open() {
      const fx = await PgEngineFixture.create(PG_SCHEMA);
      fx.write("0001_upper.mjs", UPPER);
      const store = await fx.openStore();
      return {
        async run(command) {
          const run = await fx.run(command, store, { verbose: true, batchRows: 20_000, rangeBytes: RANGE_BYTES });
          return { exception: run.exception, output: run.snapshot.command.output };
        },
        rows: (table) => fx.rows(`SELECT * FROM ${table} ORDER BY id`),
        dispose: () => fx.dispose(),
      };
    },
  },
];

/** The batches the verbose output says a table's transform took. */
function batchesOf(output: string, table: string): number {
  const match = new RegExp(`transform of "${table}" took .* in (\\d+) batch`).exec(output);
  if (match === null) throw new Error(`no transform line for "${table}" in:\n${output}`);
  return Number(match[1]);
}

/** The row count and a hash of every row, in key order. */
function fingerprint(rows: readonly Record<string, unknown>[]): { count: number; hash: string } {
  const hash = createHash("sha256");
  for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  return { count: rows.length, hash: hash.digest("hex") };
}

const TABLES = ["narrow", "wide", "mixed"];

const upper = (rows: readonly Record<string, unknown>[]) => rows.map((row) => ({ ...row, label: String(row.label).toUpperCase() }));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.dispose();
  harness = undefined;
});

for (const { name, open } of HARNESSES) {
  describe(`ranges sized by bytes (${name})`, () => {
    it("cuts a table of 2 kB rows into more ranges than a narrow one of as many rows, sees wide rows after narrow ones, and every row arrives once", async () => {
      harness = await open();
      const expected: Record<string, { count: number; hash: string }> = {};
      for (const table of TABLES) expected[table] = fingerprint(upper(await harness.rows(table)));

      const migrate = await harness.run("migrate");
      expect(migrate.exception).toBeNull();
      // Narrow rows: PROGRESS_STEPS ranges of the 100-row minimum. Wide rows: about 30 rows per 64 kB range.
      expect(batchesOf(migrate.output, "narrow")).toBe(10);
      expect(batchesOf(migrate.output, "wide")).toBeGreaterThanOrEqual(25);
      const sizes = [...migrate.output.matchAll(/transformed batch \d+ of "wide" \((\d+) rows\)/g)].map((m) => Number(m[1]));
      expect(Math.max(...sizes)).toBeLessThan(60);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(ROWS);
      // Its first rows are narrow: a row size sampled from them alone would give PROGRESS_STEPS ranges.
      expect(batchesOf(migrate.output, "mixed")).toBeGreaterThan(20);

      expect((await harness.run("finalize")).exception).toBeNull();
      for (const table of TABLES) expect(fingerprint(await harness.rows(table)), table).toEqual(expected[table]);
    });
  });
}
