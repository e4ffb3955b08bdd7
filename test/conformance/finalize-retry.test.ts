import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";
import { holdWriteTransaction } from "../helpers/write-holder.ts";
import { loggedLine } from "../helpers/logged-line.ts";
import { untilStats } from "../helpers/until-stats.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const until = untilStats<Record<string, unknown>>;

const NOTE_SCHEMA = `
CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO note (id, body) VALUES (1, 'first'), (2, 'second');
`;

/**
 * 0001 only transforms `item` (captured: the application keeps writing it); 0002 transforms `note` and has a
 * `cleanup` (so `note` is protected) that waits for the gate file: the test takes its application transaction
 * while finalize waits there, after finalize's claim and before its swap.
 */
function migrations(gate: string): Record<string, string> {
  return {
    "0001_upper_item.mjs": `export default { tables: ["item"], transform: { item: (row) => ({ ...row, name: row.name.toUpperCase() }) } };\n`,
    "0002_note_bang.mjs": `import { existsSync } from "node:fs";
export default {
  tables: ["note"],
  transform: { note: (row) => ({ ...row, body: row.body + "!" }) },
  async cleanup(db) {
    db.log("cleanup waits for the gate");
    while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10));
  },
};
`,
  };
}

/** How long the finalize swap waits for its locks here: short, so the test does not wait the default 8–10 s. */
const LOCK_WAIT_MS = 1000;

for (const target of STORE_TARGETS) {
  describe(`a finalize that cannot get its locks (${target.name})`, () => {
    it.each(["finalization_required", "migration_required"])("started in %s, it ends in finalization_required with the reason in the output and changes nothing; the next finalize succeeds with the rows written meanwhile", async (from) => {
      const db = await target.create();
      await db.exec(`${ITEM_SCHEMA}${NOTE_SCHEMA}`);
      const dir = writeMigrations({});
      const gate = join(dir, "gate");
      for (const [name, source] of Object.entries(migrations(gate))) writeFileSync(join(dir, name), source);
      const log: string[] = [];
      const service = await startTestService(db, dir, { finalizeLockWaitMs: LOCK_WAIT_MS }, { log: (line) => log.push(line) });
      cleanups.push(async () => {
        await service.close();
        await db.drop();
        removeDir(dir);
      });

      if (from === "finalization_required") {
        await service.post({ cmd: "migrate" });
        const migrated = await until(service, "finalization_required", (s) => s.status === "finalization_required");
        expect(migrated.writes).toMatchObject({ item: { mode: "captured" }, note: { mode: "protected" } });
      }

      const started = await service.post({ cmd: "finalize" });
      expect(started.body).toMatchObject({ success: true, status: from === "migration_required" ? expect.stringMatching(/^(migration|finalization)_running$/) : "finalization_running" });
      await until(service, "the cleanup to wait", (s) => String(s.output).includes("cleanup waits for the gate"));
      // The application's transaction: a new row of the captured table, not committed while finalize runs.
      const holder = await holdWriteTransaction(target.name, db, "INSERT INTO item (id, name, qty) VALUES (901, 'held', 1)");
      writeFileSync(gate, "");
      await loggedLine(log, /finalization not done/);
      await holder.commit();

      const kept = await service.settle();
      expect(kept.status, String(kept.output) + String(kept.exception)).toBe("finalization_required");
      expect(kept).not.toHaveProperty("exception");
      const output = String(kept.output);
      expect(output).not.toMatch(/finalization finished/);
      const reason = /^finalization not done: (.*)$/m.exec(output)?.[1] ?? "";
      expect(reason, output).toMatch(/run finalize again/);
      if (target.name === "postgres") {
        expect(reason).toMatch(/table "item" is held by pid \d+ \(application "shop-app", idle in transaction, transaction open for [\d.]+ s, RowExclusiveLock\)/);
      } else {
        expect(reason).toMatch(/could not get the write lock of the database within 1000 ms/);
      }
      expect((await service.post({ cmd: "progress" })).body).not.toHaveProperty("exception");

      // Nothing changed: the originals as the application left them, item still captured (writable), note still protected.
      expect(await db.query("SELECT id, name FROM item WHERE id IN (1, 901) ORDER BY id")).toEqual([{ id: 1, name: "item-1" }, { id: 901, name: "held" }]);
      await db.exec("UPDATE item SET name = 'meanwhile' WHERE id = 2");
      await expect(db.exec("UPDATE note SET body = 'x' WHERE id = 1")).rejects.toThrow(/0002_note_bang/);
      expect(await db.query("SELECT id, body FROM note ORDER BY id")).toEqual([{ id: 1, body: "first" }, { id: 2, body: "second" }]);
      expect(kept.writes).toMatchObject({ item: { mode: "captured" }, note: { mode: "protected" } });

      // The same finalize again, nothing reset: the swap takes the rows written meanwhile along.
      expect((await service.post({ cmd: "finalize" })).status).toBe(200);
      const finalized = await service.settle();
      expect(finalized.status, String(finalized.output)).toBe("finalized");
      expect(await db.query("SELECT id, name FROM item WHERE id IN (1, 2, 901) ORDER BY id")).toEqual([
        { id: 1, name: "ITEM-1" },
        { id: 2, name: "MEANWHILE" },
        { id: 901, name: "HELD" },
      ]);
      expect(await db.query("SELECT count(*) AS n FROM item")).toEqual([{ n: target.name === "postgres" ? "51" : 51 }]);
      expect(await db.query("SELECT id, body FROM note ORDER BY id")).toEqual([{ id: 1, body: "first!" }, { id: 2, body: "second!" }]);
      expect(existsSync(gate)).toBe(true);
    }, 120_000);
  });
}
