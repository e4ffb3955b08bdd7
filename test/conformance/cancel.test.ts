import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationState } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type StoreTarget } from "../helpers/store-targets.ts";
import { serveFresh, type TestService } from "../helpers/test-service.ts";
import { untilStats } from "../helpers/until-stats.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Enough rows that the migrate below runs for at least 40 s at its limit (whatever the range size): a cancel always meets it mid-table. */
const ROWS = 40_000;
const LIMIT = 500;

const BIG_SCHEMA: Record<string, string> = {
  sqlite: `CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) INSERT INTO big SELECT i, 'row-' || i FROM n;`,
  postgres: `CREATE TABLE big (id integer PRIMARY KEY, name text NOT NULL);
             INSERT INTO big SELECT i, 'row-' || i FROM generate_series(1, ${ROWS}) i;`,
};

/** Write-protected while it migrates, so "writable again" after the cancel shows the protection was lifted. */
const UPPER = `export default { tables: ["big"], writes: "protect", transform: { big: (row) => ({ ...row, name: row.name.toUpperCase() }) } };`;

interface Stats {
  status: string;
  output: string;
  exception?: string;
  migratable_models: { count: number; migrated: number };
  [key: string]: unknown;
}

const stats = async (service: TestService): Promise<Stats> => (await service.post({ cmd: "stats" })).body.stats as Stats;

const until = untilStats<Stats>;

/** Rows of `big` whose name starts with `prefix` (case-sensitive on both stores: SQLite's LIKE is not), as a number. */
async function countNames(db: { query(sql: string): Promise<unknown[]> }, prefix: string): Promise<number> {
  const [row] = (await db.query(`SELECT count(*) AS n FROM big WHERE substr(name, 1, ${prefix.length}) = '${prefix}'`)) as { n: number | string }[];
  return Number(row!.n);
}

/** A gate file path that does not exist yet; a fixture migration waits in its step until it does. */
function gateFile(): string {
  const file = join(tmpdir(), `cancel-gate-${process.pid}-${Math.random().toString(36).slice(2)}`);
  expect(existsSync(file)).toBe(false);
  return file;
}

async function migrateBig(target: StoreTarget): Promise<Awaited<ReturnType<typeof serveFresh>>> {
  const served = await serveFresh(target, BIG_SCHEMA[target.name]!, { "0001_upper.mjs": UPPER }, cleanups);
  expect(await served.service.post({ cmd: "migrate", max_rows_per_second: LIMIT })).toMatchObject({ status: 200, body: { status: "migration_running" } });
  await until(served.service, "first range", (s) => s.migratable_models.migrated > 0);
  return served;
}

for (const target of STORE_TARGETS) {
  describe(`cancel (${target.name})`, () => {
    it("JSON route: a running migrate stops mid-table in migration_failed 'cancelled by alice', the original rows as they were and writable; reset, then migrate again succeeds", async () => {
      const { db, service } = await migrateBig(target);
      await expect(db.exec("INSERT INTO big (id, name) VALUES (0, 'row-0')")).rejects.toThrow(/Table "big" is write-protected by migration 0001_upper/);

      const cancel = await service.post({ cmd: "cancel", by: "alice" });
      expect(cancel.status).toBe(200);
      expect(Object.keys(cancel.body).sort()).toEqual(["output", "status", "success"]);
      expect(cancel.body).toMatchObject({ success: true, status: "migration_running" });

      const failed = await until(service, "the cancelled end", (s) => s.status !== "migration_running");
      expect(failed).toMatchObject({ status: "migration_failed", exception: "cancelled by alice" });
      expect(failed.migratable_models.migrated).toBeLessThan(ROWS);
      expect(failed.output).toMatch(/^migration started\nmigration 0001_upper failed: cancelled by alice\n$/);
      expect(await service.post({ cmd: "migrate" })).toEqual({
        status: 400,
        body: { success: false, message: "Migration in a failed state. Reset before trying to migrate again. Failed on: cancelled by alice" },
      });

      expect(await countNames(db, "row-")).toBe(ROWS);
      expect(await countNames(db, "ROW-")).toBe(0);
      await db.exec(`INSERT INTO big (id, name) VALUES (${ROWS + 1}, 'row-new')`);

      expect(await service.post({ cmd: "reset" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "migration_required" });
      expect(await service.post({ cmd: "migrate" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "finalization_required", migratable_models: { count: ROWS + 1, migrated: ROWS + 1 } });
      expect(await service.post({ cmd: "finalize" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await countNames(db, "ROW-")).toBe(ROWS + 1);
    });

    it("Connect face: Cancel without `by` names the client's address; nothing running is failed_precondition", async () => {
      const { service } = await migrateBig(target);
      const cancel = await service.connect.cancel({});
      expect(cancel.status).toBe(MigrationState.MIGRATION_RUNNING);
      const failed = await until(service, "the cancelled end", (s) => s.status !== "migration_running");
      expect(failed).toMatchObject({ status: "migration_failed", exception: "cancelled by 127.0.0.1" });

      const refused = await service.connect.cancel({ by: "alice" }).catch((error: unknown) => ConnectError.from(error));
      expect(refused).toMatchObject({ code: 9, rawMessage: "No command is running; there is nothing to cancel." });
      const bad = await service.connect.cancel({ by: "a\nb" }).catch((error: unknown) => ConnectError.from(error));
      expect(bad).toMatchObject({ code: 3, rawMessage: `'by' must be a name of 1 to 200 printable characters, got "a\\nb"` });
    });

    it("nothing running, a bad `by`, an unknown command: the JSON route answers 400 with a clear text and changes nothing", async () => {
      const { service } = await serveFresh(target, ITEM_SCHEMA, { "0001_item.mjs": itemMigration() }, cleanups);
      expect(await service.post({ cmd: "cancel" })).toEqual({ status: 400, body: { success: false, message: "No command is running; there is nothing to cancel." } });
      expect(await service.post({ cmd: "drop" })).toEqual({ status: 400, body: { success: false, message: "Unknown command: drop" } });
      for (const [by, shown] of [[5, "number"], ["  ", '"  "'], ["a\nb", '"a\\nb"'], ["x".repeat(201), JSON.stringify("x".repeat(200))]] as const) {
        expect(await service.post({ cmd: "cancel", by })).toEqual({
          status: 400,
          body: { success: false, message: `'by' must be a name of 1 to 200 printable characters, got ${shown}` },
        });
      }
      expect(await stats(service)).toMatchObject({ status: "migration_required", output: "" });
    });

    it("a finalize cancelled before its swap returns to finalization_required with its shadow copies; the next finalize succeeds", async () => {
      const gate = gateFile();
      const { db, service } = await serveFresh(target, ITEM_SCHEMA, { "0001_item.mjs": itemMigration({ gate: { step: "cleanup", file: gate } }) }, cleanups);
      expect(await service.post({ cmd: "migrate" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "finalization_required" });

      expect(await service.post({ cmd: "finalize" })).toMatchObject({ status: 200, body: { status: "finalization_running" } });
      expect(await service.post({ cmd: "cancel", by: "bob" })).toMatchObject({ status: 200, body: { success: true, status: "finalization_running" } });
      // The cleanup may be waiting already: let it end; the swap then finds the cancel first.
      writeFileSync(gate, "");
      cleanups.push(async () => void (await import("node:fs")).rmSync(gate, { force: true }));
      const back = await until(service, "the cancelled end", (s) => s.status !== "finalization_running");
      expect(back).toMatchObject({ status: "finalization_required" });
      expect(back).not.toHaveProperty("exception");
      expect(back.output).toMatch(/finalization cancelled by bob: back to finalization_required, the shadow copies are kept; finalize again to retry\n$/);
      await expect(db.query("SELECT label FROM item")).rejects.toThrow(/label/);
      // Still waiting for finalize: the protection the migrate left stays.
      await expect(db.exec("UPDATE item SET qty = 1 WHERE id = 1")).rejects.toThrow(/Table "item" is write-protected by migration 0001_item \(migrated, waiting for finalize\)/);

      // The shadow copies were kept: this finalize swaps them in without migrating again.
      expect(await service.post({ cmd: "finalize" })).toMatchObject({ status: 200 });
      const done = await service.settle();
      expect(done).toMatchObject({ status: "finalized" });
      expect(done.output).toBe("finalization started\nfinalization finished\n");
      expect(await db.query("SELECT label FROM item WHERE id = 7")).toEqual([{ label: "item-7#7" }]);
    });

    it("a finalize cancelled while it still migrates ends in migration_failed, its protection lifted", async () => {
      const gate = gateFile();
      const { db, service } = await serveFresh(target, ITEM_SCHEMA, { "0001_item.mjs": itemMigration({ gate: { step: "dataManipulation", file: gate } }) }, cleanups);
      expect(await service.post({ cmd: "finalize" })).toMatchObject({ status: 200, body: { status: "migration_running" } });
      expect(await service.post({ cmd: "cancel", by: "carol" })).toMatchObject({ status: 200 });
      writeFileSync(gate, "");
      cleanups.push(async () => void (await import("node:fs")).rmSync(gate, { force: true }));
      const failed = await until(service, "the cancelled end", (s) => s.status !== "migration_running");
      expect(failed).toMatchObject({ status: "migration_failed", exception: "cancelled by carol" });
      await db.exec("UPDATE item SET qty = 99 WHERE id = 1");
      expect(await service.post({ cmd: "reset" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "migration_required" });
    });
  });
}
