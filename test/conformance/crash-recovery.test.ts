import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startChildService, type ChildService } from "../helpers/child-service.ts";
import { ITEM_SCHEMA, itemMigration, type Step } from "../helpers/migration-sources.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { removeDir, writeMigrations } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function statsOf(service: ChildService) {
  return (await service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
}

async function waitForStatus(service: ChildService, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const stats = await statsOf(service);
    if (stats.status === status) return stats;
    if (Date.now() > deadline) throw new Error(`never reached ${status}: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const target of STORE_TARGETS) {
  describe(`a service killed with SIGKILL mid-command (${target.name})`, () => {
    const cases: { cmd: "migrate" | "finalize"; step: Step; running: string; failed: string }[] = [
      { cmd: "migrate", step: "dataDefinition", running: "migration_running", failed: "migration_failed" },
      { cmd: "finalize", step: "cleanup", running: "finalization_running", failed: "finalization_failed" },
    ];
    for (const { cmd, step, running, failed } of cases) {
      it(`${cmd}: the restarted service reports it interrupted, the origin is intact, reset recovers`, async () => {
        const db = await target.create();
        await db.exec(ITEM_SCHEMA);
        const dir = writeMigrations({});
        const gate = join(dir, "gate");
        writeFileSync(join(dir, "0001_add_label.mjs"), itemMigration({ gate: { step, file: gate } }));
        const args = ["--database", db.url, "--migrations", dir];
        cleanups.push(async () => {
          await db.drop();
          removeDir(dir);
        });
        let service = await startChildService(args);
        cleanups.push(() => service.kill());
        const original = await db.query("SELECT * FROM item ORDER BY id");
        if (cmd === "finalize") {
          await service.post({ cmd: "migrate" });
          await waitForStatus(service, "finalization_required");
        }
        await service.post({ cmd });
        await waitForStatus(service, running);
        await service.kill();

        service = await startChildService(args);
        const stats = await waitForStatus(service, failed);
        expect(String(stats.exception)).toMatch(/interrupted/);
        expect(await db.query("SELECT * FROM item ORDER BY id")).toEqual(original);
        await db.exec("UPDATE item SET qty = qty WHERE id = 1");

        expect((await service.post({ cmd: "reset" })).status).toBe(200);
        await waitForStatus(service, "migration_required");
        writeFileSync(gate, "");
        await service.post({ cmd: "finalize" });
        await waitForStatus(service, "finalized");
        expect(await db.query("SELECT label FROM item WHERE id = 3")).toEqual([{ label: "item-3#3" }]);
      });
    }
  });
}
