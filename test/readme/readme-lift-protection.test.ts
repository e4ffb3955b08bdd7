import { afterAll, describe, expect, it } from "vitest";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";
import { fencedBlocks } from "./readme-blocks.ts";

/** The README's SQL block that starts with `-- <store>: lift`. */
function liftBlock(store: string): string {
  const block = fencedBlocks("sql").find((sql) => sql.startsWith(`-- ${store}: lift`));
  if (block === undefined) throw new Error(`README has no "-- ${store}: lift" SQL block`);
  return block;
}

/** Runs the README's block on `db` as an operator would: PostgreSQL as one script; SQLite's first statement prints the drops to run, then the rest. */
async function liftByHand(store: string, db: TestDatabase): Promise<void> {
  const block = liftBlock(store === "postgres" ? "PostgreSQL" : "SQLite");
  if (store === "postgres") return db.exec(block);
  const [printer, ...rest] = block.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("--"));
  const drops = (await db.query(printer!)).map((row) => Object.values(row)[0] as string);
  expect(drops.length).toBeGreaterThan(0);
  await db.exec([...drops, ...rest].join("\n"));
}

/** `note` is protected (its migration rewrites rows with SQL); `item` is captured. */
const NOTE_SCHEMA = `CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL); INSERT INTO note (id, body) VALUES (1, 'one');`;
const ITEM_MIGRATION = `export default {
  tables: ["item"],
  async dataDefinition(db) { await db.exec("ALTER TABLE item ADD COLUMN label TEXT"); },
  transform: { item: (row) => ({ ...row, label: row.name + "#" + row.id }) },
};`;
const NOTE_MIGRATION = `export default { tables: ["note"], async dataManipulation(db) { await db.exec("UPDATE note SET body = body || '!'"); } };`;

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe.each(STORE_TARGETS)("README: lifting the write protection by hand ($name)", (target) => {
  // Two service starts and four commands: a minute or more on a busy machine.
  it("makes the protected and captured tables writable, and reset recovers when the service is back", { timeout: 180_000 }, async () => {
    const db = await target.create();
    try {
      await db.exec(ITEM_SCHEMA + NOTE_SCHEMA);
      const dir = writeMigrations({ "0001_item_label.mjs": ITEM_MIGRATION, "0002_note_bang.mjs": NOTE_MIGRATION });
      dirs.push(dir);
      let service = await startTestService(db, dir);
      try {
        expect((await service.post({ cmd: "migrate" })).status).toBe(200);
        const stats = await service.settle();
        expect(stats.status).toBe("finalization_required");
        expect(stats.writes).toMatchObject({ item: { mode: "captured" }, note: { mode: "protected" } });
      } finally {
        await service.close();
      }
      await db.exec("UPDATE item SET qty = 100 WHERE id = 1");
      await expect(db.exec("UPDATE note SET body = 'by hand' WHERE id = 1")).rejects.toThrow(/0002_note_bang/);
      expect(await db.query("SELECT count(*) AS n FROM _migration_changes")).toEqual([{ n: target.name === "postgres" ? "1" : 1 }]);

      await liftByHand(target.name, db);

      await db.exec("UPDATE note SET body = 'by hand' WHERE id = 1");
      await db.exec("UPDATE item SET qty = 200 WHERE id = 2");
      expect(await db.query("SELECT body FROM note WHERE id = 1")).toEqual([{ body: "by hand" }]);
      expect(await db.query("SELECT count(*) AS n FROM _migration_changes")).toEqual([{ n: target.name === "postgres" ? "0" : 0 }]);

      service = await startTestService(db, dir);
      try {
        expect((await service.post({ cmd: "finalize" })).status).toBe(200);
        const refused = await service.settle();
        expect(refused).toMatchObject({ status: "finalization_failed" });
        expect(String(refused.output)).toMatch(/is no longer write-protected/);
        expect((await service.post({ cmd: "reset" })).status).toBe(200);
        expect(await service.settle()).toMatchObject({ status: "migration_required" });
      } finally {
        await service.close();
      }
      expect(await db.query("SELECT body FROM note WHERE id = 1")).toEqual([{ body: "by hand" }]);
      expect(await db.query("SELECT qty FROM item WHERE id IN (1, 2) ORDER BY id")).toEqual([{ qty: 100 }, { qty: 200 }]);
    } finally {
      await db.drop();
    }
  });
});
