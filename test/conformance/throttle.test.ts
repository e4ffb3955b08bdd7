import { afterEach, describe, expect, it } from "vitest";
import { MigrationState } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type StoreTarget, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";
import { untilStats } from "../helpers/until-stats.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Eight full key ranges of 5,000 rows (the service's range size), moved through a transform. */
const ROWS = 40_000;
/** With this limit each range is paid for 2.5 s after it starts: the migrate takes 20 s unless resumed without a limit. */
const LIMIT = 2_000;

const BIG_SCHEMA: Record<string, string> = {
  sqlite: `CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) INSERT INTO big SELECT i, 'row-' || i FROM n;`,
  postgres: `CREATE TABLE big (id integer PRIMARY KEY, name text NOT NULL);
             INSERT INTO big SELECT i, 'row-' || i FROM generate_series(1, ${ROWS}) i;`,
};

const UPPER = `export default { tables: ["big"], transform: { big: (row) => ({ ...row, name: row.name.toUpperCase() }) } };`;

interface Stats {
  status: string;
  output: string;
  migratable_models: { count: number; migrated: number };
  throttle?: { paused: boolean; max_rows_per_second: number };
  [key: string]: unknown;
}

async function setUp(target: StoreTarget, schema: string, files: Record<string, string>): Promise<{ db: TestDatabase; service: TestService }> {
  const db = await target.create();
  await db.exec(schema);
  const dir = writeMigrations(files);
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  const service = await startTestService(db, dir);
  cleanups.push(() => service.close(0));
  return { db, service };
}

const stats = async (service: TestService): Promise<Stats> => (await service.post({ cmd: "stats" })).body.stats as Stats;

const until = untilStats<Stats>;

for (const target of STORE_TARGETS) {
  describe(`pause, resume and the rows-per-second limit of a running migrate (${target.name})`, () => {
    it("a paused migrate moves no row across polls and stays migration_running; resumed without a limit it reaches finalization_required with every row", async () => {
      const { db, service } = await setUp(target, BIG_SCHEMA[target.name]!, { "0001_upper.mjs": UPPER });
      const started = await service.post({ cmd: "migrate", max_rows_per_second: LIMIT });
      expect(started).toMatchObject({ status: 200, body: { success: true, status: "migration_running" } });
      expect((await stats(service)).throttle).toEqual({ paused: false, max_rows_per_second: LIMIT });
      await until(service, "first range", (s) => s.migratable_models.migrated >= 5_000);

      const pause = await service.post({ cmd: "pause" });
      expect(pause.status).toBe(200);
      expect(Object.keys(pause.body).sort()).toEqual(["output", "status", "success"]);
      expect(pause.body).toMatchObject({ success: true, status: "migration_running" });
      // "migration paused" is written once the ranges in flight have landed: from then on no row moves.
      const held = await until(service, "paused line", (s) => s.output.includes("migration paused\n"));
      expect(held.throttle).toEqual({ paused: true, max_rows_per_second: LIMIT });
      const rpc = await service.connect.stats({});
      expect(rpc.throttle).toMatchObject({ paused: true, maxRowsPerSecond: LIMIT });
      for (let poll = 0; poll < 5; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const now = await stats(service);
        expect(now.status).toBe("migration_running");
        expect(now.migratable_models).toEqual(held.migratable_models);
        expect(now.throttle?.paused).toBe(true);
      }
      expect(held.migratable_models.migrated).toBeLessThan(ROWS);
      expect(await service.post({ cmd: "migrate" })).toEqual({ status: 400, body: { success: false, message: "Migration is running, only 'stats' command is allowed." } });

      const resumed = await service.connect.resume({ maxRowsPerSecond: 0 });
      expect(resumed.status).toBe(MigrationState.MIGRATION_RUNNING);
      const end = (await service.settle()) as unknown as Stats;
      expect(end).toMatchObject({ status: "finalization_required", migratable_models: { count: ROWS, migrated: ROWS } });
      expect(end.output).toMatch(/^migration started\nmigration paused\nmigration resumed\nmigration finished\n$/);
      expect(end).not.toHaveProperty("throttle");

      expect(await service.post({ cmd: "finalize" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await db.query("SELECT count(*) AS n FROM big WHERE name LIKE 'ROW-%'")).toEqual([{ n: target.name === "postgres" ? String(ROWS) : ROWS }]);
    });

    it("reset of a paused migrate stops it and throws its work away; the origin is as before and a new migrate runs", async () => {
      const { db, service } = await setUp(target, BIG_SCHEMA[target.name]!, { "0001_upper.mjs": UPPER });
      await service.post({ cmd: "migrate", max_rows_per_second: LIMIT });
      await until(service, "first range", (s) => s.migratable_models.migrated >= 5_000);
      expect((await service.post({ cmd: "pause" })).status).toBe(200);
      await until(service, "paused line", (s) => s.output.includes("migration paused\n"));

      expect(await service.post({ cmd: "reset" })).toMatchObject({ status: 200, body: { success: true } });
      expect(await service.settle()).toMatchObject({ status: "migration_required", migratable_models: { count: ROWS, migrated: 0 } });
      expect(await db.query("SELECT count(*) AS n FROM big WHERE name LIKE 'row-%'")).toEqual([{ n: target.name === "postgres" ? String(ROWS) : ROWS }]);

      expect(await service.post({ cmd: "migrate" })).toMatchObject({ status: 200 });
      expect(await service.settle()).toMatchObject({ status: "finalization_required", migratable_models: { count: ROWS, migrated: ROWS } });
    });

    it("the JSON route: old commands answer as before; pause and resume without a running migrate get the documented 400; a bad limit is refused", async () => {
      const { service } = await setUp(target, ITEM_SCHEMA, { "0001_upper.mjs": UPPER.replaceAll("big", "item") });
      const idle = await service.post({ cmd: "stats", max_rows_per_second: "ignored, as any other key" });
      expect(idle.status).toBe(200);
      expect(Object.keys(idle.body.stats as object)).toEqual([
        "status", "output", "current_migration_index", "target_migration_index", "migratable_models", "warnings", "tables", "command", "writes", "migrations",
      ]);
      expect(await service.post({ cmd: "progress" })).toEqual({ status: 200, body: { success: true, status: "migration_required", output: "" } });
      expect(await service.post({ cmd: "drop" })).toEqual({ status: 400, body: { success: false, message: "Unknown command: drop" } });

      for (const cmd of ["pause", "resume"]) {
        expect(await service.post({ cmd })).toEqual({ status: 400, body: { success: false, message: `No migrate or finalize is running: there is nothing to ${cmd}.` } });
      }
      await expect(service.connect.pause({})).rejects.toMatchObject({ code: 9, rawMessage: "No migrate or finalize is running: there is nothing to pause." });
      for (const limit of [-1, 1.5, "1000", null]) {
        expect(await service.post({ cmd: "migrate", max_rows_per_second: limit })).toEqual({
          status: 400,
          body: { success: false, message: `'max_rows_per_second' must be an integer from 0 (no limit) to 4294967295, got ${typeof limit === "string" ? limit : JSON.stringify(limit)}` },
        });
      }

      const migrate = await service.post({ cmd: "migrate" });
      expect(Object.keys(migrate.body).sort()).toEqual(["output", "status", "success"]);
      const done = await service.settle();
      expect(done).toMatchObject({ status: "finalization_required" });
      expect(done).not.toHaveProperty("throttle");
      expect(await service.post({ cmd: "pause" })).toMatchObject({ status: 400 });
    });
  });
}
