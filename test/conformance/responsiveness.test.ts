import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A migration that burns CPU in its own code for `ms`, then writes `doneFile`. */
const burner = (ms: number, doneFile: string) => `import { writeFileSync } from "node:fs";
export default {
  tables: ["item"],
  async dataManipulation() {
    const end = Date.now() + ${ms};
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    writeFileSync(${JSON.stringify(doneFile)}, String(x));
  },
};
`;

for (const target of STORE_TARGETS) {
  describe(`the event loop stays free while a migration burns CPU (${target.name})`, () => {
    it("stats keeps answering during the burn", async () => {
      const db = await target.create();
      await db.exec(ITEM_SCHEMA);
      const dir = writeMigrations({});
      const done = join(dir, "burn-done");
      writeFileSync(join(dir, "0001_burn.mjs"), burner(3000, done));
      cleanups.push(async () => {
        await db.drop();
        removeDir(dir);
      });
      const service = await startTestService(db, dir);
      cleanups.push(() => service.close());
      const started = await service.post({ cmd: "migrate" });
      expect(started.body).toMatchObject({ success: true, status: "migration_running" });
      let answeredDuringBurn = 0;
      while (!existsSync(done)) {
        const stats = (await service.post({ cmd: "stats" })).body.stats as { status: string };
        // Counted only if the burn was still going when the answer arrived.
        if (stats.status === "migration_running" && !existsSync(done)) answeredDuringBurn++;
      }
      expect(answeredDuringBurn).toBeGreaterThanOrEqual(10);
      expect(await service.settle()).toMatchObject({ status: "finalization_required" });
    });
  });
}
