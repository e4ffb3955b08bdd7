import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolClient } from "../../../src/stores/postgres/pg-pool.ts";
import { type PgRangePlan, rangeEndOf } from "../../../src/stores/postgres/range-plan.ts";
import { createPostgresDatabase, type PostgresTestDatabase } from "../../helpers/postgres-target.ts";

let db: PostgresTestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createPostgresDatabase();
  client = await db.connect();
  await client.query(`CREATE TABLE pairs (region text, n integer, PRIMARY KEY (region, n));
    INSERT INTO pairs SELECT r, n FROM unnest(ARRAY['north', 'süd', 'o''east', 'west']) r, generate_series(1, 250) n;
    CREATE TABLE dense (id bigint PRIMARY KEY); INSERT INTO dense SELECT i FROM generate_series(-5, 994) i WHERE i % 97 <> 0;
    CREATE TABLE sparse (id integer PRIMARY KEY); INSERT INTO sparse SELECT i * 1000 FROM generate_series(1, 300) i;
    ANALYZE dense; ANALYZE sparse`);
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const planOf = (): PgRangePlan => ({
  dialect: "postgres", route: "stream", rowBytes: 20, url: db.url, sourceSchema: "public", jsonColumns: [], owner: "o", commandTable: "c",
  shape: { table: "pairs", schema: "public", columns: ["region", "n"], writableColumns: ["region", "n"], keyColumns: ["region", "n"], keyTypes: ["text", "integer"] },
});

const integerPlan = (table: string, type: string): PgRangePlan => ({
  ...planOf(),
  shape: { table, schema: "public", columns: ["id"], writableColumns: ["id"], keyColumns: ["id"], keyTypes: [type] },
});

/** The rows of `table` in each range (after, upTo] the ends make. */
async function rowsPerRange(table: string, ends: (unknown[] | null)[]): Promise<number[]> {
  const counts: number[] = [];
  let after: unknown[] | null = null;
  for (const upTo of ends) {
    const conditions = [after && `id > ${String(after[0])}`, upTo && `id <= ${String(upTo[0])}`].filter(Boolean);
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}`);
    counts.push(rows[0]!.n);
    after = upTo;
  }
  return counts;
}

/** Every range end of a table, from the first call to the null that ends it. */
async function allEnds(plan: PgRangePlan, rows: number, between?: (ends: number) => Promise<void>): Promise<(unknown[] | null)[]> {
  const ends: (unknown[] | null)[] = [];
  let after: unknown[] | null = null;
  for (;;) {
    const end = await rangeEndOf(client as unknown as PoolClient, plan, after, rows);
    ends.push(end);
    await between?.(ends.length);
    if (end === null) return ends;
    after = end;
  }
}

describe("range ends on PostgreSQL, found many per query", () => {
  it("are every n-th key in key order (a composite key of text and integer), then null", async () => {
    const { rows: keys } = await client.query<{ region: string; key: string }>("SELECT region, n::text AS key FROM pairs ORDER BY region, n");
    const expected = keys.filter((_, i) => (i + 1) % 7 === 0).map((k) => [k.region, k.key]);
    expect(await allEnds(planOf(), 7)).toEqual([...expected, null]);
  });

  it("answer a call that does not follow the last end afresh", async () => {
    const plan = planOf();
    const first = await rangeEndOf(client as unknown as PoolClient, plan, null, 30);
    expect(await rangeEndOf(client as unknown as PoolClient, plan, null, 30)).toEqual(first);
    expect(await rangeEndOf(client as unknown as PoolClient, plan, null, 40)).toEqual(["north", "40"]);
  });

  it("cut a table keyed by dense integers by key value (no scan): every row in one range, none with more than n rows", async () => {
    const ends = await allEnds(integerPlan("dense", "bigint"), 100);
    expect(ends.slice(0, 3)).toEqual([["94"], ["194"], ["294"]]);
    const counts = await rowsPerRange("dense", ends);
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM dense");
    expect(counts.reduce((a, b) => a + b, 0)).toBe(rows[0]!.n);
    expect(Math.max(...counts)).toBeLessThanOrEqual(100);
  });

  it("scan a table keyed by sparse integers, so its ranges still hold n rows", async () => {
    const ends = await allEnds(integerPlan("sparse", "integer"), 100);
    // The last end is the last row: one more range, empty, ends the table.
    expect(ends).toEqual([["100000"], ["200000"], ["300000"], null]);
    expect(await rowsPerRange("sparse", ends)).toEqual([100, 100, 100, 0]);
  });

  it("still cover every row once when rows are written between the calls", async () => {
    const plan = planOf();
    const ends = await allEnds(plan, 25, async (calls) => {
      if (calls === 2) await client.query("INSERT INTO pairs SELECT 'north', n FROM generate_series(1000, 1100) n; DELETE FROM pairs WHERE region = 'west' AND n < 50");
    });
    let after: unknown[] | null = null;
    let covered = 0;
    for (const upTo of ends) {
      const conditions = [after && "(region, n) > ($1::text, $2::int)", upTo && `(region, n) <= ($${after ? 3 : 1}::text, $${after ? 4 : 2}::int)`].filter(Boolean);
      const { rows } = await client.query<{ count: string }>(
        `SELECT count(*) FROM pairs ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}`, [...(after ?? []), ...(upTo ?? [])],
      );
      covered += Number(rows[0]!.count);
      after = upTo;
    }
    const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM pairs");
    expect(covered).toBe(Number(rows[0]!.count));
    expect(covered).toBe(1000 + 101 - 49);
  });
});
