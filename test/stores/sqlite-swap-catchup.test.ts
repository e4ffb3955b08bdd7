import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MigrationState } from "../../src/core/states.ts";
import type { SwapPlan } from "../../src/stores/store.ts";
import { claimOn } from "../helpers/claim.ts";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

let fx: EngineFixture;

/** The statements every write transaction of this process ran, one list per BEGIN IMMEDIATE … COMMIT or ROLLBACK. */
let transactions: string[][] = [];
let restore: () => void = () => {};

/** Records each statement run, by wrapping better-sqlite3's exec and its statements' run/get/all/iterate. */
function recordStatements(): () => void {
  const probe = new Database(":memory:");
  const statement = Object.getPrototypeOf(probe.prepare("SELECT 1")) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  const database = Database.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  let open: string[] | null = null;
  const saved: [Record<string, (...args: unknown[]) => unknown>, string, (...args: unknown[]) => unknown][] = [];
  const wrap = (owner: Record<string, (...args: unknown[]) => unknown>, name: string, sqlOf: (self: unknown, args: unknown[]) => string) => {
    const original = owner[name]!;
    saved.push([owner, name, original]);
    owner[name] = function (this: unknown, ...args: unknown[]) {
      const sql = sqlOf(this, args);
      if (/^BEGIN IMMEDIATE$/i.test(sql.trim())) open = [];
      else if (open !== null && /^(COMMIT|ROLLBACK)$/i.test(sql.trim())) {
        transactions.push(open);
        open = null;
      } else open?.push(sql);
      return original.apply(this, args);
    };
  };
  wrap(database, "exec", (_self, args) => String(args[0]));
  for (const name of ["run", "get", "all", "iterate"]) wrap(statement, name, (self) => (self as { source: string }).source);
  return () => {
    for (const [owner, name, original] of saved) owner[name] = original;
  };
}

/** The swap's transaction: the one that forgets the replayed changes of the log. */
function swapTransaction(): string[] | undefined {
  return transactions.find((sql) => sql.some((s) => /^DELETE FROM main\._migration_changes/.test(s)));
}

beforeEach(() => {
  transactions = [];
  restore = recordStatements();
});
afterEach(async () => {
  restore();
  await fx?.dispose();
});

/** Claims a finalize for the migrated migrations and returns the swap plan the engine would pass, without its drain. */
async function finalizePlan(f: EngineFixture, tables: string[]): Promise<SwapPlan> {
  const store = await f.openStore();
  const owner = `test-host:${process.pid}:direct-swap`;
  expect(await claimOn(store, owner, { command: "finalize" })).toBe(true);
  const records = (await store.snapshot()).migrations.map((m) => ({ ...m, state: MigrationState.FINALIZED }));
  return { owner, tables, records, alters: [], replayMapper: () => async (rows) => rows, closingOutput: () => "" };
}

const PEOPLE = `
  CREATE TABLE parent (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
  CREATE TABLE person (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), score INTEGER NOT NULL);
  CREATE INDEX person_parent ON person (parent_id);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO parent SELECT i, 'p' || i FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO person SELECT i, 1 + i % 50, 0 FROM n;`;

/** Migrates `person` (captured) and lets the application change `changes` rows of it: the finalize's catch-up replays them before its lock. */
async function migratedWithChanges(changes: number): Promise<void> {
  fx = new EngineFixture(PEOPLE);
  fx.write("0001_person_copy.mjs", `export default { tables: ["person"], transform: { person: (row) => row } };`);
  expect((await fx.run("migrate")).exception).toBeNull();
  fx.origin.prepare("UPDATE person SET score = score + 1 WHERE id <= ?").run(changes);
}

describe("the SQLite swap after a catch-up", () => {
  it("runs the same statements under its lock whether the catch-up replayed 10 or 1,000 changes", async () => {
    const counts: number[] = [];
    for (const changes of [10, 1_000]) {
      await migratedWithChanges(changes);
      const store = await fx.openStore();
      await store.finalizeSwap(await finalizePlan(fx, ["person"]));
      expect(fx.rows("SELECT count(*) AS n, sum(score) AS s FROM person")).toEqual([{ n: 3000, s: changes }]);
      expect(fx.rows("SELECT count(*) AS n FROM _migration_changes")).toEqual([{ n: 0 }]);
      counts.push(swapTransaction()!.length);
      transactions = [];
      if (changes === 10) await fx.dispose();
    }
    expect(counts[1]).toBe(counts[0]);
  });

  it("a caught-up row breaking a foreign key fails the finalize before the lock, with the message of the check under it, and changes nothing", async () => {
    fx = new EngineFixture(`${PEOPLE}\nINSERT INTO parent VALUES (51, 'spare');`);
    fx.write("0001_person_copy.mjs", `export default { tables: ["person"], transform: { person: (row) => row } };`);
    fx.write("0002_drop_spare.mjs", `export default { tables: ["parent"], dataManipulation: (db) => db.exec("DELETE FROM parent WHERE id = 51") };`);
    expect((await fx.run("migrate")).exception).toBeNull();
    // Parent 51 is still in the origin, so the application's own check lets the row in; the catch-up replays it.
    fx.origin.pragma("foreign_keys = ON");
    fx.origin.prepare("UPDATE person SET parent_id = 51 WHERE id = 1").run();
    const store = await fx.openStore();
    await expect(store.finalizeSwap(await finalizePlan(fx, ["person", "parent"]))).rejects.toThrow(
      /^Foreign key check failed after the swap: table "person" row 1 references a missing row of "parent"$/,
    );
    expect(swapTransaction()).toBeUndefined();
    expect(fx.rows("SELECT count(*) AS n FROM parent")).toEqual([{ n: 51 }]);
    expect(fx.rows("SELECT parent_id FROM person WHERE id = 1")).toEqual([{ parent_id: 51 }]);
    expect(fx.rows("SELECT count(*) AS n FROM _migration_changes WHERE tbl = 'person'")).toEqual([{ n: 1 }]);
    expect(fx.rows("SELECT name FROM sqlite_schema WHERE name LIKE '\\_migration\\_staged\\_%' ESCAPE '\\'")).toEqual([]);
  });
});
