import { afterEach, describe, expect, it } from "vitest";
import { claimOn } from "../helpers/claim.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { openTestStore } from "../helpers/open-test-store.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


/** The command table as the release before cancel created it (throttle columns, no `cancelled_by`, no `swapping`), with a finished migrate. */
const OLD_COMMAND_TABLE: Record<string, string> = {
  sqlite: `CREATE TABLE _migration_command (id INTEGER PRIMARY KEY CHECK (id = 1), command TEXT, running INTEGER NOT NULL DEFAULT 0,
             owner TEXT, verbose INTEGER NOT NULL DEFAULT 0, output TEXT NOT NULL DEFAULT '', exception TEXT, count INTEGER NOT NULL DEFAULT 0,
             migrated INTEGER NOT NULL DEFAULT 0, started_at INTEGER, ended_at INTEGER, heartbeat_at INTEGER, progress_cursor INTEGER NOT NULL DEFAULT 0,
             progress_tables TEXT NOT NULL DEFAULT '[]', progress_at INTEGER, version INTEGER NOT NULL DEFAULT 0,
             paused INTEGER NOT NULL DEFAULT 0, max_rows_per_second INTEGER NOT NULL DEFAULT 0);
           INSERT INTO _migration_command (id, command, owner, output, version) VALUES (1, 'migrate', 'h:1:x.1', 'migration started\nmigration finished\n', 4);`,
  postgres: `CREATE TABLE _migration_command (id integer PRIMARY KEY CHECK (id = 1), command text, running boolean NOT NULL DEFAULT false,
               owner text, "verbose" boolean NOT NULL DEFAULT false, output text NOT NULL DEFAULT '', exception text, count bigint NOT NULL DEFAULT 0,
               migrated bigint NOT NULL DEFAULT 0, started_at bigint, ended_at bigint, heartbeat_at bigint, progress_cursor integer NOT NULL DEFAULT 0,
               progress_tables jsonb NOT NULL DEFAULT '[]', progress_at bigint, version bigint NOT NULL DEFAULT 0,
               paused boolean NOT NULL DEFAULT false, max_rows_per_second bigint NOT NULL DEFAULT 0);
             INSERT INTO _migration_command (id, command, owner, output, version) VALUES (1, 'migrate', 'h:1:x.1', E'migration started\\nmigration finished\\n', 4);`,
};

for (const target of STORE_TARGETS) {
  describe(`the cancel request in the command row (${target.name})`, () => {
    it("a cancel reaches readThrottle and the snapshot; a second one keeps the first name; the next claim clears it", async () => {
      const { store } = await openTestStore(target, cleanups);
      expect(await store.requestCancel("h:1:x.1", "alice")).toBe(false);
      expect(await claimOn(store, "h:1:x.1")).toBe(true);
      expect(await store.readThrottle("h:1:x.1")).toEqual({ paused: false, maxRowsPerSecond: 0, cancelledBy: null });
      expect(await store.requestCancel("h:1:x.2", "mallory")).toBe(false);

      expect(await store.requestCancel("h:1:x.1", "alice@ops")).toBe(true);
      expect(await store.requestCancel("h:1:x.1", "bob@ops")).toBe(true);
      expect(await store.readThrottle("h:1:x.1")).toEqual({ paused: false, maxRowsPerSecond: 0, cancelledBy: "alice@ops" });
      expect((await store.snapshot()).command).toMatchObject({ running: true, cancelledBy: "alice@ops", swapping: false });

      expect(await store.completeCommand("h:1:x.1", [], "cancelled by alice@ops", true)).toBe(true);
      await store.releaseRunLock("h:1:x.1");
      expect(await store.requestCancel("h:1:x.1", "alice@ops")).toBe(false);
      expect(await claimOn(store, "h:1:x.2", { command: "finalize" })).toBe(true);
      expect((await store.snapshot()).command).toMatchObject({ owner: "h:1:x.2", cancelledBy: null, swapping: false });
    });

    it("a finalize that entered its swap can no longer be cancelled; one cancelled first cannot enter it", async () => {
      const { store } = await openTestStore(target, cleanups);
      expect(await claimOn(store, "h:1:x.1", { command: "finalize" })).toBe(true);
      expect(await store.enterSwap("h:1:x.2")).toBe(false);
      expect(await store.enterSwap("h:1:x.1")).toBe(true);
      expect(await store.requestCancel("h:1:x.1", "alice")).toBe(false);
      expect((await store.snapshot()).command).toMatchObject({ swapping: true, cancelledBy: null });
      expect(await store.completeCommand("h:1:x.1", [], null, false)).toBe(true);
      await store.releaseRunLock("h:1:x.1");

      expect(await claimOn(store, "h:1:x.2", { command: "finalize" })).toBe(true);
      expect(await store.requestCancel("h:1:x.2", "alice")).toBe(true);
      expect(await store.enterSwap("h:1:x.2")).toBe(false);
      expect((await store.snapshot()).command).toMatchObject({ swapping: false, cancelledBy: "alice" });
    });

    it("a database whose command table predates cancel gets its columns on start, its last command kept", async () => {
      const { store } = await openTestStore(target, cleanups, (db) => db.exec(OLD_COMMAND_TABLE[target.name]!));
      const { command } = await store.snapshot();
      expect(command).toMatchObject({ command: "migrate", output: "migration started\nmigration finished\n", version: 4, cancelledBy: null, swapping: false });
      expect(await claimOn(store, "h:1:x.2")).toBe(true);
      expect(await store.requestCancel("h:1:x.2", "alice")).toBe(true);
      expect(await store.readThrottle("h:1:x.2")).toEqual({ paused: false, maxRowsPerSecond: 0, cancelledBy: "alice" });
    });
  });
}
