import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/stores/open-store.ts";
import { HEARTBEAT_TIMEOUT_MS } from "../../src/stores/owner-liveness.ts";
import type { Store } from "../../src/stores/store.ts";
import type { CommandRecord, MigrationRecord, StoredMigration } from "../../src/core/state-store.ts";
import { claimOn } from "../helpers/claim.ts";
import { makeTempDir } from "../helpers/migration-fixtures.ts";

let dir: string;
let store: Store;
const me = `${hostname()}:${process.pid}:abc`;
const record = (index: number, state: MigrationRecord["state"]): MigrationRecord => ({ index, name: `000${index}_m`, checksum: "c", state });
/** A record as a snapshot reads it back: with its facts, none of them set by these writes. */
const stored = (index: number, state: MigrationRecord["state"]): StoredMigration => ({ ...record(index, state), startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null });

beforeEach(async () => {
  dir = makeTempDir("mig-store-");
  store = await openStore(`sqlite:${join(dir, "nested", "app.db")}`);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SQLite state store", () => {
  it("starts with an idle command row and no records; init is idempotent", async () => {
    await store.init();
    const { migrations, command } = await store.snapshot();
    expect(migrations).toEqual([]);
    expect(command).toMatchObject({ command: null, running: false, owner: null, output: "", exception: null, count: 0, migrated: 0 });
  });

  it("claims compare-and-set: a second claim loses while one runs", async () => {
    const claim = { verbose: true, migrations: [record(1, "migration_running")], count: 7, output: "migration started\n" };
    expect(await claimOn(store, me, claim)).toBe(true);
    expect(await claimOn(store, "other:1:x", claim)).toBe(false);
    const { migrations, command } = await store.snapshot();
    expect(migrations).toEqual([stored(1, "migration_running")]);
    expect(command).toMatchObject({ command: "migrate", running: true, owner: me, verbose: true, count: 7, migrated: 0, output: "migration started\n" });
    expect(command.startedAt).toBeTypeOf("number");
  });

  it("conditions every write on the owner", async () => {
    await claimOn(store, me, { count: 10 });
    expect(await store.setMigrationStates("other:1:x", [record(1, "finalized")])).toBe(false);
    await store.appendOutput("other:1:x", "stranger\n");
    await store.setProgress("other:1:x", { count: 10, migrated: 10, tables: [{ table: "x", count: 10, migrated: 10 }], rateBase: null });
    expect(await store.completeCommand("other:1:x", [], null, false)).toBe(false);
    expect(await store.setMigrationStates(me, [record(1, "finalization_required")])).toBe(true);
    await store.appendOutput(me, "a\n");
    await store.appendOutput(me, "b\n");
    await store.setProgress(me, { count: 10, migrated: 6, tables: [{ table: "a", count: 4, migrated: 4 }, { table: "b", count: 6, migrated: 2 }], rateBase: null });
    await store.setProgress(me, { count: 10, migrated: 4, tables: [{ table: "a", count: 4, migrated: 4 }, { table: "b", count: 6, migrated: 0 }], rateBase: { at: 5_000, migrated: 2 } });
    let snap = await store.snapshot();
    expect(snap.command).toMatchObject({
      output: "a\nb\n", count: 10, migrated: 6, running: true, rateBase: { at: 5_000, migrated: 2 },
      tables: [{ table: "a", count: 4, migrated: 4 }, { table: "b", count: 6, migrated: 0 }],
    });
    expect(snap.migrations).toEqual([stored(1, "finalization_required")]);
    expect(await store.completeCommand(me, [], "it broke", false)).toBe(true);
    snap = await store.snapshot();
    expect(snap.command).toMatchObject({ running: false, exception: "it broke" });
    expect(snap.command.endedAt).toBeTypeOf("number");
    await store.appendOutput(me, "too late\n");
    expect((await store.snapshot()).command.output).toBe("a\nb\n");
  });

  it("completes a command and writes its last records in one step, only for the owner", async () => {
    await claimOn(store, me, { migrations: [record(1, "migration_running")] });
    expect(await store.completeCommand("other:1:x", [record(1, "finalized")], null, false)).toBe(false);
    expect((await store.snapshot()).migrations).toEqual([stored(1, "migration_running")]);
    expect(await store.completeCommand(me, [record(1, "migration_failed")], "boom", false)).toBe(true);
    const { migrations, command } = await store.snapshot();
    expect(migrations).toEqual([stored(1, "migration_failed")]);
    expect(command).toMatchObject({ running: false, exception: "boom" });
    expect(await store.completeCommand(me, [record(1, "finalized")], null, false)).toBe(false);
  });

  it("a claim decided on an older version loses, even when nothing runs: a command never runs twice", async () => {
    const { version } = (await store.snapshot()).command;
    expect(await claimOn(store, me, { command: "finalize" })).toBe(true);
    expect(await store.completeCommand(me, [record(1, "finalized")], null, false)).toBe(true);
    const stale = { command: "finalize" as const, owner: "other:1:x", verbose: false, migrations: [record(1, "finalization_running")], count: 0, protect: [], output: "" };
    expect(await store.claimCommand({ ...stale, version })).toBe(false);
    expect((await store.snapshot()).migrations).toEqual([stored(1, "finalized")]);
  });

  it("a claim protects its tables in its own transaction; lifting goes with the end of the command, and only for the owner", async () => {
    const app = new Database(join(dir, "nested", "app.db"));
    app.exec("CREATE TABLE item (id INTEGER PRIMARY KEY)");
    const protect = [{ table: "item", message: "item is protected", capture: false }, { table: "ghost", message: "no such table", capture: false }];
    expect(await claimOn(store, me, { protect })).toBe(true);
    expect(() => app.exec("INSERT INTO item DEFAULT VALUES")).toThrow("item is protected");
    await expect(store.clearShadow("other:1:x")).rejects.toThrow(/lease \(other:1:x\)/);
    expect(await store.completeCommand(me, [], null, false)).toBe(true);
    expect(() => app.exec("INSERT INTO item DEFAULT VALUES")).toThrow("item is protected");
    expect(await claimOn(store, me)).toBe(true);
    expect(await store.completeCommand(me, [], "boom", true)).toBe(true);
    app.exec("INSERT INTO item DEFAULT VALUES");
    app.close();
  });

  it("interrupts a dead owner's command: records failed, protection lifted", async () => {
    const app = new Database(join(dir, "nested", "app.db"));
    app.exec("CREATE TABLE item (id INTEGER PRIMARY KEY)");
    await claimOn(store, me, { command: "finalize", migrations: [record(1, "finalization_running"), record(2, "migration_running")] });
    expect(await store.protect(me, "item", "locked by test")).toBe(true);
    expect(await store.protect(me, "ghost", "no such table")).toBe(false);
    await expect(store.protect("other:1:x", "item", "not its table")).rejects.toThrow(/lease \(other:1:x\)/);
    expect(() => app.exec("INSERT INTO item DEFAULT VALUES")).toThrow("locked by test");
    expect(await store.interruptCommand("other:1:x", "nope")).toBe(false);
    expect(await store.interruptCommand(me, "The command was interrupted")).toBe(true);
    const { migrations, command } = await store.snapshot();
    expect(migrations.map((m) => m.state)).toEqual(["finalization_failed", "migration_failed"]);
    expect(command).toMatchObject({ running: false, exception: "The command was interrupted" });
    app.exec("INSERT INTO item DEFAULT VALUES");
    expect(await store.interruptCommand(me, "again")).toBe(false);
    app.close();
  });

  it("returns unseen output once to legacy progress polls", async () => {
    await claimOn(store, me);
    await store.appendOutput(me, "one\n");
    expect(await store.takeUnseenOutput()).toBe("one\n");
    await store.appendOutput(me, "two\n");
    expect(await store.takeUnseenOutput()).toBe("two\n");
    expect(await store.takeUnseenOutput()).toBe("");
  });

  it("counts the rows of existing tables, a table listed twice once", async () => {
    const app = new Database(join(dir, "nested", "app.db"));
    app.exec("CREATE TABLE a (x); INSERT INTO a VALUES (1), (2); CREATE TABLE b (y); INSERT INTO b VALUES (3);");
    app.close();
    expect(await store.countRows(["a", "b", "missing", "a"])).toBe(3);
  });
});

describe("ownerAlive", () => {
  const base: CommandRecord = {
    command: "migrate", running: true, owner: me, verbose: false, output: "", exception: null, count: 0, migrated: 0,
    startedAt: Date.now(), endedAt: null, heartbeatAt: Date.now(), progressCursor: 0, tables: [], progressAt: null, version: 1, paused: false, maxRowsPerSecond: 0, rateBase: null, cancelledBy: null, swapping: false,
  };
  it.each<[string, Partial<CommandRecord>, boolean]>([
    ["this process with a fresh heartbeat", {}, true],
    ["a dead pid on this host", { owner: `${hostname()}:2147483646:abc` }, false],
    ["this process with a stale heartbeat", { heartbeatAt: Date.now() - HEARTBEAT_TIMEOUT_MS - 1000 }, false],
    ["another host with a fresh heartbeat", { owner: "elsewhere:1:abc" }, true],
    ["another host with a stale heartbeat", { owner: "elsewhere:1:abc", heartbeatAt: Date.now() - HEARTBEAT_TIMEOUT_MS - 1 }, false],
    ["a command that does not run", { running: false }, false],
  ])("%s → %s", async (_case, patch, alive) => {
    expect(await store.ownerAlive({ ...base, ...patch })).toBe(alive);
  });
});

describe("openStore", () => {
  it.each([
    ["mysql://h/db", /Unsupported database URL scheme "mysql:"/],
    ["sqlite:", /has no path/],
  ])("rejects %s", async (url, message) => {
    await expect(openStore(url)).rejects.toThrow(message);
  });
});
