import type pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { PostgresStore } from "../../../src/stores/postgres/postgres-store.ts";
import { PgEngineFixture } from "./pg-engine-fixture.ts";

const fixtures: PgEngineFixture[] = [];
afterEach(async () => {
  for (const fx of fixtures.splice(0)) await fx.dispose();
});

/** `n` tables, each with a foreign key to an untouched table, a view, a trigger and a grant, and a migration of them all. */
function schemaOf(n: number): { schema: string; migration: string } {
  const tables = Array.from({ length: n }, (_, i) => `t${i + 1}`);
  const schema = [
    "CREATE TABLE owner (id integer PRIMARY KEY); INSERT INTO owner VALUES (1);",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
    ...tables.map((t) => `
      CREATE TABLE ${t} (id integer PRIMARY KEY, owner_id integer REFERENCES owner (id), name text);
      INSERT INTO ${t} SELECT i, 1, 'n' || i FROM generate_series(1, 20) i;
      CREATE VIEW ${t}_names AS SELECT name FROM ${t};
      CREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION touch();
      GRANT SELECT ON ${t} TO PUBLIC;`),
  ].join("\n");
  const migration = `export default { tables: ${JSON.stringify(tables)}, dataDefinition: (db) => db.exec(${JSON.stringify(tables.map((t) => `ALTER TABLE ${t} ADD COLUMN label text`).join("; "))}), writes: "capture" };`;
  return { schema, migration };
}

/** The statements the store's clients send from now on, with the client that sent each. */
function recordQueries(store: PostgresStore): { client: pg.PoolClient; text: string }[] {
  const sent: { client: pg.PoolClient; text: string }[] = [];
  const wrapped = new WeakSet<pg.PoolClient>();
  const pool = (store as unknown as { pool: pg.Pool }).pool;
  pool.on("acquire", (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      sent.push({ client, text: typeof args[0] === "string" ? args[0] : String((args[0] as { text?: string }).text) });
      return query(...args);
    };
  });
  return sent;
}

/** How many statements the finalize sent while it held its table locks: after its LOCK TABLE, up to and including COMMIT. */
async function statementsUnderLock(n: number): Promise<number> {
  const { schema, migration } = schemaOf(n);
  const fx = await PgEngineFixture.create(schema);
  fixtures.push(fx);
  const store = await fx.openStore();
  fx.write("0001_label.mjs", migration);
  expect((await fx.run("migrate", store)).exception).toBeNull();
  const sent = recordQueries(store);
  const run = await fx.run("finalize", store);
  expect(run.exception).toBeNull();
  expect(await fx.rows(`SELECT count(*)::int AS n FROM t${n}_names`)).toEqual([{ n: 20 }]);
  const lock = sent.findIndex((q) => /^LOCK TABLE .* IN ACCESS EXCLUSIVE MODE/.test(q.text));
  expect(lock).toBeGreaterThanOrEqual(0);
  const swap = sent.filter((q, i) => i >= lock && q.client === sent[lock]!.client);
  const commit = swap.findIndex((q) => q.text === "COMMIT");
  expect(commit).toBeGreaterThan(0);
  return commit;
}

describe("round trips under the finalize swap's locks", () => {
  it("are as many for five tables (each with a foreign key, a view, a trigger and a grant) as for one", async () => {
    const one = await statementsUnderLock(1);
    const five = await statementsUnderLock(5);
    expect(five).toBe(one);
    expect(one).toBeLessThanOrEqual(6);
  }, 120_000);
});
