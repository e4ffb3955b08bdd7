import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { sqliteTarget } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";
import { untilStats } from "../helpers/until-stats.ts";
import { holdWriteTransaction } from "../helpers/write-holder.ts";
import { loggedLine } from "../helpers/logged-line.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const until = untilStats<Record<string, unknown>>;

/**
 * 0001 copies `item` (captured); 0002 copies `note` and has a cleanup (so `note` is protected) that waits for
 * the gate file: the test writes captured changes and takes the write lock while finalize waits there, before
 * its replay of the backlog.
 */
function migrations(gate: string): Record<string, string> {
  return {
    "0001_item.mjs": `export default { tables: ["item"] };\n`,
    "0002_note.mjs": `import { existsSync } from "node:fs";
export default {
  tables: ["note"],
  async cleanup(db) {
    db.log("cleanup waits for the gate");
    while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10));
  },
};
`,
  };
}

describe("a SQLite finalize whose replay before the swap cannot write", () => {
  it("ends in finalization_required, not failed, when an application holds the write lock through the replay; the next finalize succeeds", async () => {
    const db = await sqliteTarget.create();
    await db.exec(`${ITEM_SCHEMA}CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL); INSERT INTO note VALUES (1, 'first');`);
    const dir = writeMigrations({});
    const gate = join(dir, "gate");
    for (const [name, source] of Object.entries(migrations(gate))) writeFileSync(join(dir, name), source);
    const log: string[] = [];
    const service = await startTestService(db, dir, {}, { log: (line) => log.push(line) });
    cleanups.push(async () => {
      await service.close();
      await db.drop();
      removeDir(dir);
    });
    await service.post({ cmd: "migrate" });
    await until(service, "finalization_required", (s) => s.status === "finalization_required");

    await service.post({ cmd: "finalize" });
    await until(service, "the cleanup to wait", (s) => String(s.output).includes("cleanup waits for the gate"));
    // Changes for the replay before the swap, then the application's write transaction, held through that replay.
    await db.exec("UPDATE item SET qty = qty + 100 WHERE id <= 10; INSERT INTO item (id, name, qty) VALUES (900, 'late', 9);");
    const holder = await holdWriteTransaction("sqlite", db, "INSERT INTO item (id, name, qty) VALUES (901, 'held', 1)");
    writeFileSync(gate, "");
    await loggedLine(log, /finalization not done/);
    await holder.commit();

    const kept = await service.settle();
    expect(kept.status, String(kept.output) + String(kept.exception)).toBe("finalization_required");
    expect(kept).not.toHaveProperty("exception");
    expect(String(kept.output)).toMatch(/^finalization not done: Finalize could not replay the captured changes of "item": .*run finalize again/m);

    await service.post({ cmd: "finalize" });
    const done = await until(service, "finalized", (s) => s.status !== "finalization_running");
    expect(done.status, String(done.output) + String(done.exception)).toBe("finalized");
    expect(await db.query("SELECT count(*) AS n, sum(qty) AS qty FROM item WHERE id <= 10 OR id >= 900")).toEqual([{ n: 12, qty: 24 + 1000 + 9 + 1 }]);
  }, 180_000);
});
