import { afterEach, describe, expect, it } from "vitest";
import { claimOn } from "../helpers/claim.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { openTestStore } from "../helpers/open-test-store.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


/** The command table as the release before the throttle created it (no `paused`, no `max_rows_per_second`), with a finished migrate. */
const OLD_COMMAND_TABLE: Record<string, string> = {
  sqlite: `CREATE TABLE _migration_command (id INTEGER PRIMARY KEY CHECK (id = 1), command TEXT, running INTEGER NOT NULL DEFAULT 0,
             owner TEXT, verbose INTEGER NOT NULL DEFAULT 0, output TEXT NOT NULL DEFAULT '', exception TEXT, count INTEGER NOT NULL DEFAULT 0,
             migrated INTEGER NOT NULL DEFAULT 0, started_at INTEGER, ended_at INTEGER, heartbeat_at INTEGER, progress_cursor INTEGER NOT NULL DEFAULT 0,
             progress_tables TEXT NOT NULL DEFAULT '[]', progress_at INTEGER, version INTEGER NOT NULL DEFAULT 0);
           INSERT INTO _migration_command (id, command, owner, output, version) VALUES (1, 'migrate', 'h:1:x.1', 'migration started\nmigration finished\n', 4);`,
  postgres: `CREATE TABLE _migration_command (id integer PRIMARY KEY CHECK (id = 1), command text, running boolean NOT NULL DEFAULT false,
               owner text, "verbose" boolean NOT NULL DEFAULT false, output text NOT NULL DEFAULT '', exception text, count bigint NOT NULL DEFAULT 0,
               migrated bigint NOT NULL DEFAULT 0, started_at bigint, ended_at bigint, heartbeat_at bigint, progress_cursor integer NOT NULL DEFAULT 0,
               progress_tables jsonb NOT NULL DEFAULT '[]', progress_at bigint, version bigint NOT NULL DEFAULT 0);
             INSERT INTO _migration_command (id, command, owner, output, version) VALUES (1, 'migrate', 'h:1:x.1', E'migration started\\nmigration finished\\n', 4);`,
};

for (const target of STORE_TARGETS) {
  describe(`the throttle in the command row (${target.name})`, () => {
    it("a claim sets the run's limit and clears a pause; pause, resume and a new limit reach readThrottle; a resume counts as progress", async () => {
      const { store } = await openTestStore(target, cleanups);
      expect(await claimOn(store, "h:1:x.1", { maxRowsPerSecond: 300 })).toBe(true);
      expect(await store.readThrottle("h:1:x.1")).toEqual({ paused: false, maxRowsPerSecond: 300, cancelledBy: null });

      expect(await store.setThrottle("h:1:x.1", { paused: true })).toBe(true);
      expect(await store.readThrottle("h:1:x.1")).toEqual({ paused: true, maxRowsPerSecond: 300, cancelledBy: null });
      const paused = (await store.snapshot()).command;
      expect(paused).toMatchObject({ paused: true, maxRowsPerSecond: 300 });

      const before = Date.now();
      expect(await store.setThrottle("h:1:x.1", { paused: false, maxRowsPerSecond: 0 })).toBe(true);
      const resumed = (await store.snapshot()).command;
      expect(resumed).toMatchObject({ paused: false, maxRowsPerSecond: 0 });
      expect(resumed.progressAt).toBeGreaterThanOrEqual(before);

      await new Promise((resolve) => setTimeout(resolve, 5)); // the clock moves, so a refreshed progressAt would show
      expect(await store.setThrottle("h:1:x.1", { paused: false, maxRowsPerSecond: 50 })).toBe(true);
      expect(await store.readThrottle("h:1:x.1")).toEqual({ paused: false, maxRowsPerSecond: 50, cancelledBy: null });
      // Resuming a command that is not paused is no progress: it must not hide a hung one from reset.
      expect((await store.snapshot()).command.progressAt).toBe(resumed.progressAt);

      expect(await store.setThrottle("h:1:x.1", { paused: true })).toBe(true);
      expect(await store.completeCommand("h:1:x.1", [], null, false)).toBe(true);
      await store.releaseRunLock("h:1:x.1");
      expect(await claimOn(store, "h:1:x.2")).toBe(true);
      expect(await store.readThrottle("h:1:x.2")).toEqual({ paused: false, maxRowsPerSecond: 0, cancelledBy: null });
    });

    it("only the running command's lease reads or changes it", async () => {
      const { store } = await openTestStore(target, cleanups);
      expect(await store.setThrottle("h:1:x.1", { paused: true })).toBe(false);
      expect(await claimOn(store, "h:1:x.1")).toBe(true);
      expect(await store.readThrottle("h:1:x.2")).toBeNull();
      expect(await store.setThrottle("h:1:x.2", { paused: true })).toBe(false);
      expect(await store.interruptCommand("h:1:x.1", "stopped")).toBe(true);
      expect(await store.readThrottle("h:1:x.1")).toBeNull();
      expect(await store.setThrottle("h:1:x.1", { paused: true })).toBe(false);
    });

    it("a database whose command table predates the throttle gets its columns on start, its last command kept", async () => {
      const { store } = await openTestStore(target, cleanups, (db) => db.exec(OLD_COMMAND_TABLE[target.name]!));
      const { command } = await store.snapshot();
      expect(command).toMatchObject({ command: "migrate", output: "migration started\nmigration finished\n", version: 4, paused: false, maxRowsPerSecond: 0 });
      expect(await claimOn(store, "h:1:x.2", { maxRowsPerSecond: 7 })).toBe(true);
      expect(await store.readThrottle("h:1:x.2")).toEqual({ paused: false, maxRowsPerSecond: 7, cancelledBy: null });
    });
  });
}
