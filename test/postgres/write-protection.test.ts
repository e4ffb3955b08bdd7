import { afterEach, describe, expect, it } from "vitest";
import { PROTECTION_SQLSTATE } from "../helpers/pg-contract.ts";
import { ITEM_SCHEMA, itemMigration, type ItemMigrationOptions } from "../helpers/migration-sources.ts";
import { pgFailure, startPgService, type MigrationFiles, type PgSetup } from "../helpers/pg-service.ts";

/** One statement of each kind the protection must reject. */
const WRITES = [
  ["INSERT", "INSERT INTO item (id, name) VALUES (999, 'late')"],
  ["UPDATE", "UPDATE item SET qty = qty + 1 WHERE id = 1"],
  ["DELETE", "DELETE FROM item WHERE id = 2"],
  ["TRUNCATE", "TRUNCATE item"],
] as const;

const MIGRATION = "0001_add_label";
const UNTOUCHED = "CREATE TABLE other (id integer PRIMARY KEY); INSERT INTO other VALUES (1);";

let setup: PgSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

async function start(options: ItemMigrationOptions | ((gate: string) => ItemMigrationOptions) = {}): Promise<PgSetup> {
  const files: MigrationFiles = (gate) => ({ [`${MIGRATION}.mjs`]: itemMigration(typeof options === "function" ? options(gate) : options) });
  setup = await startPgService(ITEM_SCHEMA + UNTOUCHED, files);
  return setup;
}

/** Every write kind fails with the dedicated SQLSTATE and a message naming the migration; reads work. */
async function expectProtected(s: PgSetup): Promise<void> {
  for (const [kind, sql] of WRITES) {
    const failure = await pgFailure(s.db.exec(sql));
    expect(failure.code, kind).toBe(PROTECTION_SQLSTATE);
    expect(failure.message, kind).toContain(MIGRATION);
  }
  expect(await s.db.query("SELECT count(*)::int AS n FROM item")).toEqual([{ n: 50 }]);
  await s.db.exec("UPDATE other SET id = id");
}

/** Every write kind goes through again (TRUNCATE last, it empties the table). */
async function expectWritable(s: PgSetup): Promise<void> {
  for (const [, sql] of WRITES) await s.db.exec(sql);
  expect(await s.db.query("SELECT count(*)::int AS n FROM item")).toEqual([{ n: 0 }]);
}

describe("write protection of the origin tables (PostgreSQL)", () => {
  it(`while migrate runs, writes fail with SQLSTATE ${PROTECTION_SQLSTATE} naming the migration; reads and other tables work`, async () => {
    const s = await start((gate) => ({ gate: { step: "dataManipulation", file: gate } }));
    const answer = await s.service.post({ cmd: "migrate" });
    expect(answer.body).toMatchObject({ success: true, status: "migration_running" });
    // All 50 rows transformed: the migration is past its copy and waits at the gate in dataManipulation.
    for (const deadline = Date.now() + 30_000; ; ) {
      const stats = (await s.service.post({ cmd: "stats" })).body.stats as { migratable_models: { migrated: number } };
      if (stats.migratable_models.migrated === 50) break;
      if (Date.now() > deadline) throw new Error(`the migration never reached its gate: ${JSON.stringify(stats)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await expectProtected(s);
    expect((await s.service.post({ cmd: "stats" })).body.stats).toMatchObject({ status: "migration_running" });
  });

  it("stays while waiting for finalize, and finalize lifts it", async () => {
    const s = await start();
    expect(await s.run("migrate")).toMatchObject({ status: "finalization_required" });
    await expectProtected(s);
    expect(await s.run("finalize")).toMatchObject({ status: "finalized" });
    await expectWritable(s);
  });

  it("reset lifts it", async () => {
    const s = await start();
    await s.run("migrate");
    await expectProtected(s);
    expect(await s.run("reset")).toMatchObject({ status: "migration_required" });
    await expectWritable(s);
  });

  it("a failing migration lifts it", async () => {
    const s = await start({ fail: { step: "dataManipulation", message: "boom" } });
    expect(await s.run("migrate")).toMatchObject({ status: "migration_failed", exception: expect.stringContaining("boom") });
    await expectWritable(s);
  });

  it("a failing finalize lifts it", async () => {
    const s = await start({ fail: { step: "cleanup", message: "boom in cleanup" } });
    await s.run("migrate");
    await expectProtected(s);
    expect(await s.run("finalize")).toMatchObject({ status: "finalization_failed" });
    await expectWritable(s);
  });
});
