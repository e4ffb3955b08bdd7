import { afterEach, describe, expect, it } from "vitest";
import { claimOn } from "../helpers/claim.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { openTestStore } from "../helpers/open-test-store.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


/** The migration records table as the releases before the per-migration facts created it, with a finalized migration. */
const OLD_STATE_TABLE: Record<string, string> = {
  sqlite: `CREATE TABLE _migration_state (idx INTEGER PRIMARY KEY CHECK (idx > 0), name TEXT NOT NULL, checksum TEXT NOT NULL, state TEXT NOT NULL);
           INSERT INTO _migration_state VALUES (1, '0001_a', 'sum-a', 'finalized');`,
  postgres: `CREATE TABLE _migration_state (idx integer PRIMARY KEY CHECK (idx > 0), name text NOT NULL, checksum text NOT NULL, state text NOT NULL);
             INSERT INTO _migration_state VALUES (1, '0001_a', 'sum-a', 'finalized');`,
};

const NO_RUN = { startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null };

for (const target of STORE_TARGETS) {
  describe(`per-migration facts in the records (${target.name})`, () => {
    it("a database whose records table predates them gains the columns on start, its records kept without facts", async () => {
      const { store } = await openTestStore(target, cleanups, (db) => db.exec(OLD_STATE_TABLE[target.name]!));
      expect((await store.snapshot()).migrations).toEqual([{ index: 1, name: "0001_a", checksum: "sum-a", state: "finalized", ...NO_RUN }]);
      expect(await claimOn(store, "h:1:x.1")).toBe(true);
      expect(await store.setMigrationStates("h:1:x.1", [{ index: 2, name: "0002_b", checksum: "sum-b", state: "migration_running", startedAt: 1_700_000_000_123 }])).toBe(true);
      expect((await store.snapshot()).migrations[1]).toEqual({ index: 2, name: "0002_b", checksum: "sum-b", state: "migration_running", ...NO_RUN, startedAt: 1_700_000_000_123 });
    });

    it("a write keeps the facts it leaves out, and sets those it gives, null included", async () => {
      const { store } = await openTestStore(target, cleanups);
      expect(await claimOn(store, "h:1:x.1")).toBe(true);
      const identity = { index: 1, name: "0001_a", checksum: "sum-a" };
      await store.setMigrationStates("h:1:x.1", [{ ...identity, state: "migration_running", startedAt: 1000, finishedAt: null, rowsMoved: 0 }]);
      await store.setMigrationStates("h:1:x.1", [{ ...identity, state: "migration_running", finishedAt: 4000, rowsMoved: 12_345 }]);
      expect(await store.completeCommand("h:1:x.1", [{ ...identity, state: "finalization_required" }], null, false)).toBe(true);
      expect((await store.snapshot()).migrations).toEqual([{ ...identity, state: "finalization_required", startedAt: 1000, finishedAt: 4000, finalizedAt: null, rowsMoved: 12_345, lockWindowMs: null }]);
      await store.releaseRunLock("h:1:x.1");

      expect(await claimOn(store, "h:1:x.2", { command: "reset" })).toBe(true);
      expect(await store.completeCommand("h:1:x.2", [{ ...identity, state: "migration_required", startedAt: null, finishedAt: null, rowsMoved: 0 }], null, true)).toBe(true);
      expect((await store.snapshot()).migrations).toEqual([{ ...identity, state: "migration_required", ...NO_RUN }]);
    });

    it("recordLockWindow sets the window on the finalized records named and puts its line before the last line of the output of the command the owner ended (else at its end), not into one claimed since", async () => {
      const { store } = await openTestStore(target, cleanups);
      const finalize = "h:1:x.1";
      expect(await claimOn(store, finalize, { command: "finalize", output: "finalization started\nfinalization finished\n" })).toBe(true);
      const done = [1, 2].map((index) => ({ index, name: `000${index}_m`, checksum: "c", state: "finalized" as const, finalizedAt: 5000 }));
      const waiting = { index: 3, name: "0003_m", checksum: "c", state: "finalization_required" as const };
      expect(await store.completeCommand(finalize, [...done, waiting], null, false)).toBe(true);

      await store.recordLockWindow(finalize, [1, 2, 3], 12.25, "finalization: lock window 12 ms\n", "finalization finished\n");
      const after = await store.snapshot();
      expect(after.migrations.map((m) => [m.index, m.lockWindowMs])).toEqual([[1, 12.25], [2, 12.25], [3, null]]);
      expect(after.command).toMatchObject({ running: false, output: "finalization started\nfinalization: lock window 12 ms\nfinalization finished\n" });

      await store.recordLockWindow(finalize, [1], 3.5, "", "finalization finished\n");
      expect((await store.snapshot()).command.output).toBe("finalization started\nfinalization: lock window 12 ms\nfinalization finished\n");
      // An output that does not end with the last line given gets the line at its end.
      await store.recordLockWindow(finalize, [1], 3.5, "finalization: lock window 3.5 ms\n", "finalization finished and more\n");
      expect((await store.snapshot()).command.output).toBe("finalization started\nfinalization: lock window 12 ms\nfinalization finished\nfinalization: lock window 3.5 ms\n");
      await store.releaseRunLock(finalize);

      expect(await claimOn(store, "h:1:x.2", { command: "reset", output: "reset started\n" })).toBe(true);
      await store.recordLockWindow(finalize, [2], 40, "finalization: lock window 40 ms\n", "finalization finished\n");
      const claimed = await store.snapshot();
      expect(claimed.command).toMatchObject({ running: true, owner: "h:1:x.2", output: "reset started\n" });
      expect(claimed.migrations.map((m) => m.lockWindowMs)).toEqual([3.5, 40, null]);

      expect(await store.completeCommand("h:1:x.2", [{ ...done[1]!, lockWindowMs: null }], null, true)).toBe(true);
      expect((await store.snapshot()).migrations.map((m) => m.lockWindowMs)).toEqual([3.5, null, null]);
    });

    it("readOrigin sees the origin's tables and rows in a transaction where writes fail, and rolls back", async () => {
      const { store, db } = await openTestStore(target, cleanups, (db) => db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY); INSERT INTO item VALUES (1), (2), (3);"));
      const seen = await store.readOrigin(async (origin) => ({
        item: await origin.hasTable("item"),
        missing: await origin.hasTable("missing"),
        rows: await origin.countRows("item"),
        none: await origin.countRows("missing"),
        write: await origin.db.exec("INSERT INTO item VALUES (4)").then(() => "written", (error: Error) => error.message),
      }));
      expect(seen).toMatchObject({ item: true, missing: false, rows: 3, none: 0 });
      expect(seen.write).toMatch(/read[- ]?only/i);
      expect((await db.query("SELECT count(*) AS n FROM item"))[0]!.n).toEqual(target.name === "sqlite" ? 3 : "3");
    });
  });
}
