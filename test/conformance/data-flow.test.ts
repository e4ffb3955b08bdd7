import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA, itemMigration, type ItemMigrationOptions } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setUp(target: (typeof STORE_TARGETS)[number], options: ItemMigrationOptions = {}) {
  const db = await target.create();
  await db.exec(ITEM_SCHEMA);
  const dir = writeMigrations({ "0001_add_label.mjs": itemMigration(options) });
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  let service = await startTestService(db, dir);
  cleanups.push(() => service.close());
  const restart = async () => {
    await service.close();
    service = await startTestService(db, dir);
    return service;
  };
  return { db, dir, service: () => service, restart };
}

const itemRows = (db: TestDatabase) => db.query("SELECT * FROM item ORDER BY id");
const stats = async (service: TestService) => (await service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;

for (const target of STORE_TARGETS) {
  describe(`migrations change data as CONTRACT §1-3 promise (${target.name})`, () => {
    it("stats before anything ran has the documented keys, plus warnings, tables, command, writes and migrations", async () => {
      const { service } = await setUp(target);
      const answer = await service().post({ cmd: "stats" });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        success: true,
        stats: {
          status: "migration_required",
          output: "",
          current_migration_index: 0,
          target_migration_index: 1,
          migratable_models: { count: 50, migrated: 0 },
          warnings: [],
          tables: {},
          command: null,
          writes: {
            item: {
              mode: "protected",
              reason: "migration 0001_add_label changes rows with dataManipulation, which cannot be replayed row by row",
              backlog: 0,
              replay_rate: null,
            },
          },
          migrations: [{
            index: 1, name: "0001_add_label", state: "migration_required", checksum: createHash("sha256").update(itemMigration({})).digest("hex"),
            started_at: null, finished_at: null, finalized_at: null, rows_moved: 0, file_changed: false,
          }],
        },
      });
    });

    it("migrate builds the shadow, keeps the origin readable and write-protected, finalize swaps it in", async () => {
      const { db, service } = await setUp(target);
      const original = await itemRows(db);
      expect((await service().post({ cmd: "migrate" })).status).toBe(200);
      const migrated = await service().settle();
      expect(migrated).toMatchObject({ status: "finalization_required", migratable_models: { count: 50, migrated: 50 } });
      expect(String(migrated.output)).toMatch(/^migration started\n[\s\S]*migration finished\n$/);
      expect(await itemRows(db)).toEqual(original);
      await expect(db.exec("INSERT INTO item (id, name) VALUES (999, 'late')")).rejects.toThrow(/0001_add_label/);
      await expect(db.exec("UPDATE item SET qty = 5")).rejects.toThrow(/0001_add_label/);
      await expect(db.exec("DELETE FROM item")).rejects.toThrow(/0001_add_label/);

      const finalize = await service().post({ cmd: "finalize" });
      expect(finalize.status).toBe(200);
      const done = await service().settle();
      expect(done).toMatchObject({
        status: "finalized", current_migration_index: 1, target_migration_index: 1,
        migratable_models: { count: 0, migrated: 0 },
      });
      expect(String(done.output)).toMatch(/^finalization started\n[\s\S]*finalization finished\n$/);
      expect(await itemRows(db)).toEqual(original.map((row) => ({ ...row, label: `${row.name}#${row.id}` })));
      await db.exec("INSERT INTO item (id, name) VALUES (999, 'late')");
      expect(await db.query("SELECT name FROM item WHERE id = 999")).toEqual([{ name: "late" }]);
    });

    it("finalize from migration_required migrates and finalizes in one command", async () => {
      const { db, service } = await setUp(target);
      await service().post({ cmd: "finalize" });
      const done = await service().settle();
      expect(done.status).toBe("finalized");
      expect(String(done.output)).toMatch(/^migration started\n[\s\S]*migration finished\nfinalization started\n[\s\S]*finalization finished\n$/);
      expect(await db.query("SELECT label FROM item WHERE id = 7")).toEqual([{ label: "item-7#7" }]);
    });

    it("a throwing migration leaves the origin exactly as it was and lifts the protection", async () => {
      const { db, service } = await setUp(target, { fail: { step: "dataManipulation", message: "boom in dataManipulation" } });
      const original = await itemRows(db);
      await service().post({ cmd: "migrate" });
      const failed = await service().settle();
      expect(failed.status).toBe("migration_failed");
      expect(String(failed.exception)).toContain("boom in dataManipulation");
      expect(await itemRows(db)).toEqual(original);
      await db.exec("UPDATE item SET qty = qty + 1 WHERE id = 1");
      const reset = await service().post({ cmd: "reset" });
      expect(reset.status).toBe(200);
      expect(await service().settle()).toMatchObject({ status: "migration_required" });
    });

    it("checkPrerequisites text becomes the exception before anything is copied", async () => {
      const { db, service } = await setUp(target, { refuse: "item needs a warehouse first" });
      const original = await itemRows(db);
      await service().post({ cmd: "migrate" });
      const failed = await service().settle();
      expect(failed).toMatchObject({ status: "migration_failed", exception: "item needs a warehouse first" });
      expect(await itemRows(db)).toEqual(original);
      const refused = await service().post({ cmd: "migrate" });
      expect(refused).toEqual({
        status: 400,
        body: { success: false, message: "Migration in a failed state. Reset before trying to migrate again. Failed on: item needs a warehouse first" },
      });
    });

    it("reset after migrate restores the origin and lets writes through", async () => {
      const { db, service } = await setUp(target);
      const original = await itemRows(db);
      await service().post({ cmd: "migrate" });
      await service().settle();
      await service().post({ cmd: "reset" });
      expect(await service().settle()).toMatchObject({ status: "migration_required", migratable_models: { count: 50, migrated: 0 } });
      expect(await itemRows(db)).toEqual(original);
      await db.exec("INSERT INTO item (id, name) VALUES (999, 'after reset')");
    });

    it("verbose adds detail lines; output and state survive a restart", async () => {
      const { service, restart } = await setUp(target);
      await service().post({ cmd: "migrate" });
      const plainLines = String((await service().settle()).output).split("\n");
      await service().post({ cmd: "reset" });
      await service().settle();
      await service().post({ cmd: "migrate", verbose: true });
      const verbose = await service().settle();
      const verboseLines = String(verbose.output).split("\n");
      expect(verboseLines.length).toBeGreaterThan(plainLines.length);
      expect([verboseLines[0], verboseLines.at(-2)]).toEqual(["migration started", "migration finished"]);
      const again = await restart();
      expect(await stats(again)).toEqual(verbose);
    });

    it("a finalized migration is not run again and finalize twice is a no-op", async () => {
      const { db, service, restart } = await setUp(target);
      await service().post({ cmd: "finalize" });
      await service().settle();
      const rows = await itemRows(db);
      const again = await restart();
      for (const cmd of ["migrate", "finalize", "reset"]) {
        const answer = await again.post({ cmd });
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ success: true, status: "finalized" });
      }
      expect(await itemRows(db)).toEqual(rows);
    });

    it("legacy progress returns only the lines no earlier answer or poll returned; stats moves nothing", async () => {
      const { service } = await setUp(target);
      const answer = await service().post({ cmd: "migrate" });
      expect(String(answer.body.output)).toMatch(/^migration started\n/);
      const full = String((await service().settle()).output);
      const first = await service().post({ cmd: "progress" });
      expect(first.body).toEqual({ success: true, status: "finalization_required", output: full.slice(String(answer.body.output).length) });
      const second = await service().post({ cmd: "progress" });
      expect(second.body).toEqual({ success: true, status: "finalization_required", output: "" });
      expect((await stats(service())).output).toBe(full);
    });
  });
}

