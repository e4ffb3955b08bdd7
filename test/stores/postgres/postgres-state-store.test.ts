import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../../src/stores/open-store.ts";
import { PROTECTION_SQLSTATE } from "../../../src/stores/postgres/protection.ts";
import type { PostgresStore } from "../../../src/stores/postgres/postgres-store.ts";
import type { CommandRecord, MigrationRecord, StoredMigration } from "../../../src/core/state-store.ts";
import { claimOn } from "../../helpers/claim.ts";
import { failure, PgEngineFixture } from "./pg-engine-fixture.ts";

let fx: PgEngineFixture;
let store: PostgresStore;
const me = "host-a:101:abc";
const other = "host-b:202:xyz";
const record = (index: number, state: MigrationRecord["state"]): MigrationRecord => ({ index, name: `000${index}_m`, checksum: "c", state });
/** A record as a snapshot reads it back: with its facts, none of them set by these writes. */
const stored = (index: number, state: MigrationRecord["state"]): StoredMigration => ({ ...record(index, state), startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null });

beforeEach(async () => {
  fx = await PgEngineFixture.create("CREATE TABLE item (id integer PRIMARY KEY, name text); INSERT INTO item VALUES (1, 'a'), (2, 'b');");
  store = await fx.openStore();
});
afterEach(async () => fx.dispose());

describe("PostgreSQL state store", () => {
  it("starts with an idle command row and no records; init is idempotent", async () => {
    await store.init();
    const { migrations, command } = await store.snapshot();
    expect(migrations).toEqual([]);
    expect(command).toMatchObject({ command: null, running: false, owner: null, output: "", exception: null, count: 0, migrated: 0 });
  });

  it("claims compare-and-set: a second claim loses while one runs, on this and on another store", async () => {
    expect(await claimOn(store, me, { migrations: [record(1, "migration_running")], count: 7, verbose: true, output: "migration started\n" })).toBe(true);
    expect(await claimOn(store, other)).toBe(false);
    const second = await fx.openStore();
    expect(await claimOn(second, other)).toBe(false);
    const { migrations, command } = await store.snapshot();
    expect(migrations).toEqual([stored(1, "migration_running")]);
    expect(command).toMatchObject({ command: "migrate", running: true, owner: me, verbose: true, count: 7, migrated: 0, output: "migration started\n" });
    expect(command.startedAt).toBeTypeOf("number");
  });

  it("conditions every write on the owner", async () => {
    await claimOn(store, me, { count: 10 });
    expect(await store.setMigrationStates(other, [record(1, "finalized")])).toBe(false);
    await store.appendOutput(other, "stranger\n");
    await store.setProgress(other, { count: 10, migrated: 10, tables: [{ table: "x", count: 10, migrated: 10 }], rateBase: null });
    expect(await store.completeCommand(other, [], null, false)).toBe(false);
    expect(await store.setMigrationStates(me, [record(1, "finalization_required")])).toBe(true);
    await store.appendOutput(me, "a\n");
    await store.appendOutput(me, "b\n");
    await store.setProgress(me, { count: 10, migrated: 6, tables: [{ table: "a", count: 4, migrated: 4 }, { table: "b", count: 6, migrated: 2 }], rateBase: null });
    await store.setProgress(me, { count: 10, migrated: 4, tables: [{ table: "a", count: 4, migrated: 4 }, { table: "b", count: 6, migrated: 0 }], rateBase: { at: 5_000, migrated: 2 } });
    expect((await store.snapshot()).command).toMatchObject({
      output: "a\nb\n", count: 10, migrated: 6, running: true, rateBase: { at: 5_000, migrated: 2 },
      tables: [{ table: "a", count: 4, migrated: 4 }, { table: "b", count: 6, migrated: 0 }],
    });
    expect(await store.completeCommand(me, [], "it broke", false)).toBe(true);
    const { command } = await store.snapshot();
    expect(command).toMatchObject({ running: false, exception: "it broke" });
    expect(command.endedAt).toBeTypeOf("number");
    await store.appendOutput(me, "too late\n");
    expect((await store.snapshot()).command.output).toBe("a\nb\n");
  });

  it("completes a command and writes its last records in one step, only for the owner", async () => {
    await claimOn(store, me, { migrations: [record(1, "migration_running")] });
    expect(await store.completeCommand(other, [record(1, "finalized")], null, false)).toBe(false);
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
    await store.releaseRunLock(me);
    const stale = { command: "finalize" as const, owner: other, verbose: false, migrations: [record(1, "finalization_running")], count: 0, protect: [], output: "" };
    expect(await store.claimCommand({ ...stale, version })).toBe(false);
    expect((await store.snapshot()).migrations).toEqual([stored(1, "finalized")]);
  });

  it("a claim protects its tables in its own transaction; lifting goes with the end of the command, and only for the owner", async () => {
    const protect = [{ table: "item", message: "item is protected", capture: false }, { table: "ghost", message: "no such table", capture: false }];
    expect(await claimOn(store, me, { protect })).toBe(true);
    expect(await failure(fx.sql.query("INSERT INTO item VALUES (3, 'c')"))).toEqual({ code: PROTECTION_SQLSTATE, message: "item is protected" });
    await expect(store.protect(other, "item", "not its table")).rejects.toThrow(/lease \(host-b:202:xyz\)/);
    await expect(store.clearShadow(other)).rejects.toThrow(/lease \(host-b:202:xyz\)/);
    expect(await store.completeCommand(other, [], "boom", true)).toBe(false);
    expect((await failure(fx.sql.query("INSERT INTO item VALUES (3, 'c')"))).code).toBe(PROTECTION_SQLSTATE);
    expect(await store.completeCommand(me, [], "boom", true)).toBe(true);
    await fx.sql.query("INSERT INTO item VALUES (3, 'c')");
    await store.releaseRunLock(me);
  });

  it("interrupts a dead owner's command: records failed, protection lifted", async () => {
    await claimOn(store, me, { command: "finalize", migrations: [record(1, "finalization_running"), record(2, "migration_running")] });
    expect(await store.protect(me, "item", "locked by test")).toBe(true);
    expect(await store.protect(me, "ghost", "no such table")).toBe(false);
    expect(await failure(fx.sql.query("INSERT INTO item VALUES (3, 'c')"))).toEqual({ code: PROTECTION_SQLSTATE, message: "locked by test" });
    expect(await store.interruptCommand(other, "nope")).toBe(false);
    expect(await store.interruptCommand(me, "The command was interrupted")).toBe(true);
    const { migrations, command } = await store.snapshot();
    expect(migrations.map((m) => m.state)).toEqual(["finalization_failed", "migration_failed"]);
    expect(command).toMatchObject({ running: false, exception: "The command was interrupted" });
    await fx.sql.query("INSERT INTO item VALUES (3, 'c')");
    expect(await store.interruptCommand(me, "again")).toBe(false);
  });

  it("returns unseen output once to legacy progress polls", async () => {
    await claimOn(store, me);
    await store.appendOutput(me, "one ✓\n");
    expect(await store.takeUnseenOutput()).toBe("one ✓\n");
    await store.appendOutput(me, "two\n");
    expect(await store.takeUnseenOutput()).toBe("two\n");
    expect(await store.takeUnseenOutput()).toBe("");
  });

  it("counts the rows of existing tables, a table listed twice once", async () => {
    await fx.sql.query("CREATE TABLE b (y integer); INSERT INTO b VALUES (3);");
    expect(await store.countRows(["item", "b", "missing", "item"])).toBe(3);
  });
});

describe("write protection", () => {
  it(`rejects INSERT, UPDATE, DELETE and TRUNCATE with SQLSTATE ${PROTECTION_SQLSTATE} and the message; reads work; the end of the command lifts it`, async () => {
    await claimOn(store, me);
    expect(await store.protect(me, "item", 'Table "item" is write-protected by migration 0001_x (migrate running)')).toBe(true);
    for (const sql of ["INSERT INTO item VALUES (9, 'z')", "UPDATE item SET name = 'q'", "DELETE FROM item WHERE false", "TRUNCATE item"]) {
      expect(await failure(fx.sql.query(sql)), sql).toEqual({
        code: PROTECTION_SQLSTATE,
        message: 'Table "item" is write-protected by migration 0001_x (migrate running)',
      });
    }
    expect(await fx.rows("SELECT count(*)::int AS n FROM item")).toEqual([{ n: 2 }]);
    expect(await store.protect(me, "item", "replaced message")).toBe(true);
    expect((await failure(fx.sql.query("DELETE FROM item"))).message).toBe("replaced message");
    await store.completeCommand(me, [], null, true);
    await store.releaseRunLock(me);
    await fx.sql.query("TRUNCATE item");
  });
});

describe("advisory run lock", () => {
  const running = (owner: string): CommandRecord => ({
    command: "migrate", running: true, owner, verbose: false, output: "", exception: null, count: 0, migrated: 0,
    startedAt: Date.now(), endedAt: null, heartbeatAt: null, progressCursor: 0, tables: [], progressAt: null, version: 1, paused: false, maxRowsPerSecond: 0, rateBase: null, cancelledBy: null, swapping: false,
  });

  it("another store sees the owner alive while its pinned client holds the lock, dead once that backend is terminated", async () => {
    const watcher = await fx.openStore();
    expect(await claimOn(store, me)).toBe(true);
    expect(await store.ownerAlive(running(me))).toBe(true);
    expect(await watcher.ownerAlive(running(me))).toBe(true);
    expect(await watcher.ownerAlive({ ...running(me), running: false })).toBe(false);
    const holders = await fx.rows(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(holders).toHaveLength(1);
    await fx.sql.query("SELECT pg_terminate_backend($1, 5000)", [holders[0]!.pid]);
    expect(await watcher.ownerAlive(running(me))).toBe(false);
    expect(await watcher.interruptCommand(me, "runner lost")).toBe(true);
    expect(await claimOn(watcher, other)).toBe(true);
    await store.releaseRunLock(me);
    await watcher.releaseRunLock(other);
  });

  it("a claim after a finished command waits for that runner's release of the lock, then wins and holds it", async () => {
    const watcher = await fx.openStore();
    expect(await claimOn(store, me)).toBe(true);
    expect(await store.completeCommand(me, [], null, false)).toBe(true);
    const next = claimOn(watcher, other);
    await store.releaseRunLock(me);
    expect(await next).toBe(true);
    expect(await store.ownerAlive(running(other))).toBe(true);
    await watcher.releaseRunLock(other);
    expect(await store.ownerAlive(running(other))).toBe(false);
  });
});

describe("openStore with PostgreSQL URLs", () => {
  it.each([
    ["postgres://app:s3cret@127.0.0.1:1/app", /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/app/],
    ["postgres://app:s3cret@db host:5432/app", /malformed/],
    ["postgresql://app:s3cret@localhost:99999/app", /malformed/],
  ])("%s fails clearly without the password", async (url, message) => {
    const error = (await openStore(url).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("s3cret");
  });
});
