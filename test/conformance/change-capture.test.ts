import { afterEach, describe, expect, it } from "vitest";
import { lostWrites, startAppWriter, workloadMigrations, WORKLOAD_SCHEMA, WORKLOAD_SEED } from "../helpers/app-workload.ts";
import { startChildService, type ChildService } from "../helpers/child-service.ts";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";
import { untilStats } from "../helpers/until-stats.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Poster = Pick<TestService | ChildService, "post">;

async function statsOf(service: Poster): Promise<Record<string, unknown>> {
  return (await service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
}

const until = untilStats<Record<string, unknown>>;

async function fresh(target: (typeof STORE_TARGETS)[number], schema: string, migrations: Record<string, string>): Promise<{ db: TestDatabase; dir: string }> {
  const db = await target.create();
  const dir = writeMigrations(migrations);
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  await db.exec(schema);
  return { db, dir };
}

const writesOf = (stats: Record<string, unknown>) => stats.writes as Record<string, { mode: string; reason: string; backlog: number; replay_rate: number | null }>;

for (const target of STORE_TARGETS) {
  describe(`change capture (${target.name})`, () => {
    it("waiting for finalize, the service replays what the application writes; stats shows it; finalize has nothing left for its lock", async () => {
      const { db, dir } = await fresh(target, ITEM_SCHEMA, {
        "0001_upper.mjs": `export default { tables: ["item"], transform: { item: (row) => ({ ...row, name: row.name.toUpperCase() }) } };\n`,
      });
      const service = await startTestService(db, dir);
      cleanups.push(() => service.close());
      await service.post({ cmd: "migrate" });
      const migrated = await until(service, "finalization_required", (s) => s.status === "finalization_required");
      expect(writesOf(migrated).item).toMatchObject({ mode: "captured", backlog: 0 });
      expect(writesOf(migrated).item!.reason).toMatch(/copy and transform only/);

      await db.exec("INSERT INTO item (id, name, qty) VALUES (1001, 'late', 7)");
      await db.exec("UPDATE item SET name = 'changed' WHERE id = 1");
      await db.exec("DELETE FROM item WHERE id = 2");
      // The watchdog's replay between commands brings the shadow copy up to date without any command.
      const caughtUp = await until(service, "the backlog to be replayed", (s) => writesOf(s).item?.backlog === 0 && s.status === "finalization_required");
      expect(writesOf(caughtUp).item!.mode).toBe("captured");

      const answer = await service.post({ cmd: "finalize", verbose: true });
      expect(answer.status).toBe(200);
      const finalized = await service.settle();
      expect(finalized.status).toBe("finalized");
      expect(String(finalized.output)).not.toMatch(/under the lock/);
      expect(writesOf(finalized)).toEqual({});
      expect(await db.query("SELECT id, name FROM item WHERE id IN (1, 2, 1001) ORDER BY id")).toEqual([
        { id: 1, name: "CHANGED" },
        { id: 1001, name: "LATE" },
      ]);
    });

    it("a transform that throws on a replayed row fails finalize with the table and the key; the origin is as the application left it, and writable", async () => {
      const { db, dir } = await fresh(target, ITEM_SCHEMA, {
        "0001_strict.mjs": `export default { tables: ["item"], transform: { item: (row) => { if (row.name === "boom") throw new Error("no boom allowed"); return { ...row, qty: row.qty + 1 }; } } };\n`,
      });
      const service = await startTestService(db, dir);
      cleanups.push(() => service.close());
      await service.post({ cmd: "migrate" });
      await until(service, "finalization_required", (s) => s.status === "finalization_required");
      await db.exec("INSERT INTO item (id, name, qty) VALUES (77, 'boom', 1)");
      const origin = await db.query("SELECT * FROM item ORDER BY id");

      await service.post({ cmd: "finalize" });
      const failed = await service.settle();
      expect(failed.status).toBe("finalization_failed");
      expect(String(failed.exception)).toMatch(/The transform of table "item" failed on the row with key \(id\) = \(77\): no boom allowed/);
      expect(await db.query("SELECT * FROM item ORDER BY id")).toEqual(origin);
      // The capture went with the failure: the application writes as before, and nothing is logged any more.
      await db.exec("UPDATE item SET qty = qty + 100 WHERE id = 77");
      expect(writesOf(await statsOf(service)).item!.backlog).toBe(0);
    });

    it("a replayed row the database refuses fails finalize with the table, the key and the database's reason; the origin is as the application left it", async () => {
      const { db, dir } = await fresh(target, ITEM_SCHEMA, {
        "0001_blank.mjs": `export default { tables: ["item"], transform: { item: (row) => (row.name === "blank me" ? { ...row, name: null } : row) } };\n`,
      });
      const service = await startTestService(db, dir);
      cleanups.push(() => service.close());
      await service.post({ cmd: "migrate" });
      await until(service, "finalization_required", (s) => s.status === "finalization_required");
      await db.exec("INSERT INTO item (id, name, qty) VALUES (78, 'blank me', 1)");
      const origin = await db.query("SELECT * FROM item ORDER BY id");

      await service.post({ cmd: "finalize" });
      const failed = await service.settle();
      expect(failed.status).toBe("finalization_failed");
      const reason = target.name === "postgres" ? 'null value in column "name" of relation "item" violates not-null constraint' : "NOT NULL constraint failed: item.name";
      expect(failed.exception).toBe(`Table "item" refused the row with key (id) = (78): ${reason}`);
      expect(await db.query("SELECT * FROM item ORDER BY id")).toEqual(origin);
      await db.exec("UPDATE item SET qty = qty + 100 WHERE id = 78");
      expect(await db.query("SELECT qty FROM item WHERE id = 78")).toEqual([{ qty: 101 }]);
    });

    it("a dataDefinition that renames a column of a captured table is refused with the way out; writes: \"protect\" migrates it", async () => {
      const rename = (writes: string) => `export default {
  tables: ["item"],${writes}
  async dataDefinition(db) { await db.exec("ALTER TABLE item RENAME COLUMN name TO title"); },
};
`;
      const { db, dir } = await fresh(target, ITEM_SCHEMA, { "0001_rename.mjs": rename("") });
      const service = await startTestService(db, dir);
      await service.post({ cmd: "migrate" });
      const failed = await service.settle();
      await service.close();
      expect(failed.status).toBe("migration_failed");
      expect(String(failed.exception)).toMatch(/drops "name" and adds "title".*writes: "protect"/);

      const protectedDir = writeMigrations({ "0001_rename.mjs": rename(`\n  writes: "protect",`) });
      cleanups.push(async () => removeDir(protectedDir));
      const again = await startTestService(db, protectedDir);
      cleanups.push(() => again.close());
      await again.post({ cmd: "reset" });
      await until(again, "migration_required", (s) => s.status === "migration_required");
      await again.post({ cmd: "migrate" });
      const migrated = await again.settle();
      expect(migrated.status).toBe("finalization_required");
      expect(writesOf(migrated).item).toMatchObject({ mode: "protected", reason: 'migration 0001_rename asks for it (writes: "protect")' });
    });

    it("SIGKILL mid-migrate while the application writes: nothing the application wrote is lost, and the next run is exact", async () => {
      const { db, dir } = await fresh(target, WORKLOAD_SCHEMA, workloadMigrations());
      await db.exec(WORKLOAD_SEED);
      const args = ["--database", db.url, "--migrations", dir];
      let service = await startChildService(args);
      cleanups.push(() => service.kill());
      const writer = await startAppWriter(db, 7);
      let stopped = false;
      cleanups.push(async () => {
        if (!stopped) await writer.stop().catch(() => {});
      });
      expect((await service.post({ cmd: "migrate" })).body).toMatchObject({ status: "migration_running" });
      await service.kill();

      service = await startChildService(args);
      // Killed in its bulk pass the command is reported interrupted, its capture lifted; a migrate that
      // ended before the kill waits for finalize with its capture on. Both must end exact.
      const after = await until(service, "the restarted service to settle", (s) => s.status === "migration_failed" || s.status === "finalization_required");
      if (after.status === "migration_failed") {
        expect(String(after.exception)).toMatch(/interrupted/);
        expect(Object.values(writesOf(after)).map((w) => w.backlog)).toEqual([0, 0]);
        await service.post({ cmd: "reset" });
        await until(service, "migration_required", (s) => s.status === "migration_required");
      }
      await service.post({ cmd: "finalize" });
      await until(service, "finalized", (s) => s.status === "finalized");
      stopped = true;
      const report = await writer.stop();
      expect(report.failed).toEqual([]);
      expect(report.refused).toBe(0);
      expect(await lostWrites(db, report)).toEqual([]);
    });

    if (target.name === "postgres") {
      it("two replicas replay between commands while the application writes; finalize on the other one is exact", async () => {
        const { db, dir } = await fresh(target, WORKLOAD_SCHEMA, workloadMigrations());
        await db.exec(WORKLOAD_SEED);
        const a = await startTestService(db, dir);
        cleanups.push(() => a.close());
        const b = await startTestService(db, dir);
        cleanups.push(() => b.close());
        const writer = await startAppWriter(db, 11);
        let report;
        try {
          await a.post({ cmd: "migrate" });
          await until(b, "finalization_required", (s) => s.status === "finalization_required");
          // Both watchdogs replay now (the counters are shared, so either replica's replays show in the rate).
          await until(a, "the replay rate to show", (s) => Object.values(writesOf(s)).some((w) => w.mode === "captured" && (w.replay_rate ?? 0) > 0));
          await b.post({ cmd: "finalize" });
          await until(a, "finalized", (s) => s.status === "finalized");
        } finally {
          report = await writer.stop();
        }
        expect(report.failed).toEqual([]);
        expect(report.refused).toBe(0);
        expect(await lostWrites(db, report)).toEqual([]);
      });

      it("TRUNCATE of a captured table is refused with the table's message (no row trigger would see it)", async () => {
        const { db, dir } = await fresh(target, ITEM_SCHEMA, {
          "0001_upper.mjs": `export default { tables: ["item"], transform: { item: (row) => ({ ...row, name: row.name.toUpperCase() }) } };\n`,
        });
        const service = await startTestService(db, dir);
        cleanups.push(() => service.close());
        await service.post({ cmd: "migrate" });
        await until(service, "finalization_required", (s) => s.status === "finalization_required");
        await expect(db.exec("TRUNCATE item")).rejects.toThrow(/Table "item" is write-protected by migration 0001_upper/);
        await db.exec("UPDATE item SET qty = 5 WHERE id = 1");
      });
    }
  });
}
