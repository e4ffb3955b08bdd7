import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationState, PlannedRoute, WritesMode } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { fromStatsResponse } from "../../src/wire/proto-stats.ts";
import { statsBody } from "../../src/wire/json-results.ts";
import { STORE_TARGETS, type StoreTarget, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";
import { untilStats } from "../helpers/until-stats.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const CUSTOMERS = 2000;
const ORDERS = 300;

const SCHEMA: Record<string, string> = {
  sqlite: `CREATE TABLE customer (id INTEGER PRIMARY KEY, first TEXT, last TEXT NOT NULL);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CUSTOMERS})
           INSERT INTO customer SELECT i, 'first' || i, 'last' || i FROM n;
           CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ORDERS}) INSERT INTO orders SELECT i, i * 10 FROM n;
           CREATE TABLE tag (id INTEGER PRIMARY KEY, label TEXT);`,
  postgres: `CREATE TABLE customer (id integer PRIMARY KEY, first text, last text NOT NULL);
             INSERT INTO customer SELECT i, 'first' || i, 'last' || i FROM generate_series(1, ${CUSTOMERS}) i;
             CREATE TABLE orders (id integer PRIMARY KEY, amount integer NOT NULL);
             INSERT INTO orders SELECT i, i * 10 FROM generate_series(1, ${ORDERS}) i;
             CREATE TABLE tag (id integer PRIMARY KEY, label text);`,
};

const FULL_NAME = `export default { tables: ["customer"], transform: { customer: (row) => ({ ...row, first: row.first === null ? null : row.first.toUpperCase() }) } };`;
const ORDERS_CENTS = `export default { tables: ["orders"], transform: { orders: { amount: { sql: "amount * 100" } } } };`;
/** Creates a table, adds a column in place, and refuses while a customer has no first name. */
const ARCHIVE = `export default {
  tables: ["archive"],
  alter: { tag: [{ addColumn: { name: "color", type: "text" } }] },
  async checkPrerequisites(db) {
    const [row] = await db.query("SELECT count(*) AS n FROM customer WHERE first IS NULL");
    return Number(row.n) > 0 ? Number(row.n) + " customer(s) have no first name" : undefined;
  },
  async dataDefinition(db) { await db.exec("CREATE TABLE archive (id INTEGER PRIMARY KEY, note TEXT)"); },
};`;
/** A prerequisite check that tries to write: the plan's read-only transaction refuses it. */
const WRITING_CHECK = `export default {
  tables: ["tag"],
  async checkPrerequisites(db) { await db.exec("INSERT INTO tag (id, label) VALUES (99, 'written by plan')"); },
};`;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A database of `target` with SCHEMA, and a service that can be restarted on other migration files. */
async function setUp(target: StoreTarget, files: Record<string, string>): Promise<{ db: TestDatabase; service: () => TestService; restart(files: Record<string, string>): Promise<void> }> {
  const db = await target.create();
  await db.exec(SCHEMA[target.name]!);
  let dir = writeMigrations(files);
  let service = await startTestService(db, dir);
  cleanups.push(async () => {
    await service.close();
    await db.drop();
    removeDir(dir);
  });
  return {
    db,
    service: () => service,
    async restart(next) {
      await service.close();
      removeDir(dir);
      dir = writeMigrations(next);
      service = await startTestService(db, dir);
    },
  };
}

interface MigrationJson {
  index: number;
  name: string;
  state: string;
  checksum: string;
  started_at: string | null;
  finished_at: string | null;
  finalized_at: string | null;
  rows_moved: number;
  file_changed: boolean;
  lock_window_ms?: number;
}

async function listed(service: TestService): Promise<MigrationJson[]> {
  const { body } = await service.post({ cmd: "stats" });
  return (body.stats as { migrations: MigrationJson[] }).migrations;
}

async function run(service: TestService, cmd: "migrate" | "finalize" | "reset", verbose = false): Promise<Record<string, unknown>> {
  expect((await service.post({ cmd, verbose })).status).toBe(200);
  return service.settle();
}

/** The stats once every finalized migration shows its lock window: it is recorded just after the swap's COMMIT, a moment after `finalized`. */
async function withLockWindows(service: TestService): Promise<{ output: string; migrations: MigrationJson[] }> {
  return untilStats(service, "the lock windows recorded", (stats: { output: string; migrations: MigrationJson[] }) =>
    stats.migrations.every((m) => m.state !== "finalized" || m.lock_window_ms !== undefined));
}

const ms = (iso: string | null) => (iso === null ? NaN : Date.parse(iso));

/** Whether any shadow work exists: the shadow file (SQLite) or the shadow schema (PostgreSQL). */
async function shadowExists(target: StoreTarget, db: TestDatabase): Promise<boolean> {
  if (target.name === "sqlite") return existsSync(`${db.url.slice("sqlite:".length)}.shadow`);
  return (await db.query("SELECT 1 FROM pg_namespace WHERE nspname LIKE '_migration_shadow%'")).length > 0;
}

for (const target of STORE_TARGETS) {
  describe(`stats.migrations (${target.name})`, () => {
    it("lists every migration with its state, times in order and rows moved through migrate, reset and finalize, on both faces", async () => {
      const { service, restart } = await setUp(target, { "0001_full_name.mjs": FULL_NAME });
      expect(await listed(service())).toEqual([{
        index: 1, name: "0001_full_name", state: "migration_required", checksum: sha256(FULL_NAME),
        started_at: null, finished_at: null, finalized_at: null, rows_moved: 0, file_changed: false,
      }]);

      expect(await run(service(), "finalize")).toMatchObject({ status: "finalized" });
      const [first] = (await withLockWindows(service())).migrations;
      expect(first).toMatchObject({ state: "finalized", rows_moved: CUSTOMERS, file_changed: false });
      expect(first!.lock_window_ms).toBeGreaterThan(0);
      expect(ms(first!.started_at)).toBeLessThanOrEqual(ms(first!.finished_at));
      expect(ms(first!.finished_at)).toBeLessThanOrEqual(ms(first!.finalized_at));

      await restart({ "0001_full_name.mjs": FULL_NAME, "0002_orders_cents.mjs": ORDERS_CENTS });
      expect(await run(service(), "migrate")).toMatchObject({ status: "finalization_required" });
      const migrated = await listed(service());
      expect(migrated[0]).toEqual(first);
      expect(migrated[1]).toMatchObject({ index: 2, state: "finalization_required", rows_moved: ORDERS, finalized_at: null, file_changed: false });
      expect(ms(migrated[1]!.started_at)).toBeLessThanOrEqual(ms(migrated[1]!.finished_at));

      // The Connect face says the same, through its own message.
      expect(statsBody(fromStatsResponse(await service().connect.stats({}))).stats.migrations).toEqual(migrated);
      const info = (await service().connect.stats({})).migrations[1]!;
      expect(info).toMatchObject({ index: 2, state: MigrationState.FINALIZATION_REQUIRED, rowsMoved: BigInt(ORDERS), fileChanged: false });
      expect(info.finalizedAt).toBeUndefined();

      // A reset throws the run of 0002 away; 0001, finalized, keeps its facts.
      expect(await run(service(), "reset")).toMatchObject({ status: "migration_required" });
      expect(await listed(service())).toEqual([
        first,
        { index: 2, name: "0002_orders_cents", state: "migration_required", checksum: sha256(ORDERS_CENTS), started_at: null, finished_at: null, finalized_at: null, rows_moved: 0, file_changed: false },
      ]);

      // An edited file of a finalized migration, and a recorded one whose file is gone, are marked changed.
      const edited = FULL_NAME.replace("toUpperCase", "toLowerCase");
      await restart({ "0001_full_name.mjs": edited, "0003_archive.mjs": ARCHIVE });
      const after = await listed(service());
      expect(after.map((m) => [m.index, m.state, m.file_changed])).toEqual([[1, "finalized", true], [2, "migration_required", true], [3, "migration_required", false]]);
      expect(after[0]!.checksum).toBe(sha256(FULL_NAME));
    });

    it("a verbose finalize reports its lock window once, just before the output's last line `finalization finished`, and on each migration it finalized, on both faces", async () => {
      const { service } = await setUp(target, { "0001_full_name.mjs": FULL_NAME, "0002_orders_cents.mjs": ORDERS_CENTS });
      expect(await run(service(), "migrate")).toMatchObject({ status: "finalization_required" });
      expect((await listed(service())).map((m) => m.lock_window_ms)).toEqual([undefined, undefined]);

      expect(await run(service(), "finalize", true)).toMatchObject({ status: "finalized" });
      const stats = await untilStats(service(), "the lock window line", (s: { output: string }) => s.output.includes("lock window"));
      const lines = stats.output.split("\n").filter((line) => line.startsWith("finalization: lock window"));
      expect(lines, stats.output).toHaveLength(1);
      expect(stats.output).toMatch(/\nfinalization: lock window \d+(\.\d)? ms\nfinalization finished\n$/);
      const reported = Number(/lock window ([\d.]+) ms/.exec(lines[0]!)![1]);

      const { migrations } = await withLockWindows(service());
      const windows = migrations.map((m) => m.lock_window_ms!);
      expect(windows[0]).toBeGreaterThan(0);
      expect(windows[1]).toBe(windows[0]);
      expect(Math.abs(windows[0]! - reported)).toBeLessThanOrEqual(0.5);
      const proto = await service().connect.stats({});
      expect(proto.migrations.map((m) => m.lockWindowMs! > 0)).toEqual([true, true]);
      expect(statsBody(fromStatsResponse(proto)).stats.migrations).toEqual(migrations);
    });
  });

  describe(`plan (${target.name})`, () => {
    it("says what migrate would do: tables, rows, routes, writes and prerequisites, and changes nothing", async () => {
      const { db, service } = await setUp(target, {
        "0001_full_name.mjs": FULL_NAME, "0002_orders_cents.mjs": ORDERS_CENTS, "0003_archive.mjs": ARCHIVE,
      });
      await db.exec("INSERT INTO customer (id, first, last) VALUES (5001, NULL, 'nameless')");
      const versionOf = async () => Number((await db.query("SELECT version FROM _migration_command WHERE id = 1"))[0]!.version);
      const statsBefore = (await service().post({ cmd: "stats" })).body.stats as Record<string, unknown>;
      const versionBefore = await versionOf();

      const { status, body } = await service().post({ cmd: "plan" });
      expect(status).toBe(200);
      const captured = expect.stringContaining("replayed");
      expect(body).toEqual({
        success: true,
        plan: {
          status: "migration_required",
          migrations: [
            {
              index: 1, name: "0001_full_name", prerequisites: "",
              tables: [{ table: "customer", rows: CUSTOMERS + 1, route: "transform", writes: "captured", writes_reason: captured, estimated_seconds: null }],
            },
            {
              index: 2, name: "0002_orders_cents", prerequisites: "",
              tables: [{ table: "orders", rows: ORDERS, route: "sql", writes: "protected", writes_reason: expect.stringContaining("SQL expressions"), estimated_seconds: null }],
            },
            {
              index: 3, name: "0003_archive", prerequisites: "1 customer(s) have no first name",
              tables: [
                { table: "archive", rows: 0, route: "create", writes: "captured", writes_reason: captured, estimated_seconds: null },
                { table: "tag", rows: 0, route: "in_place", writes: "captured", writes_reason: expect.stringContaining("at finalize"), estimated_seconds: null },
              ],
            },
          ],
          estimated_seconds: null,
          ready: false,
        },
      });

      const rpc = await service().connect.plan({});
      expect(rpc.ready).toBe(false);
      expect(rpc.migrations.map((m) => m.tables.map((t) => [t.table, Number(t.rows), t.route, t.writes]))).toEqual([
        [["customer", CUSTOMERS + 1, PlannedRoute.TRANSFORM, WritesMode.CAPTURED]],
        [["orders", ORDERS, PlannedRoute.SQL, WritesMode.PROTECTED]],
        [["archive", 0, PlannedRoute.CREATE, WritesMode.CAPTURED], ["tag", 0, PlannedRoute.IN_PLACE, WritesMode.CAPTURED]],
      ]);
      expect(rpc.migrations[2]!.prerequisites).toBe("1 customer(s) have no first name");
      expect(rpc.estimatedSeconds).toBeUndefined();

      // Nothing changed: state, output, command row version, no shadow, the originals writable.
      const statsAfter = (await service().post({ cmd: "stats" })).body.stats as Record<string, unknown>;
      expect(statsAfter).toMatchObject({ status: statsBefore.status, output: statsBefore.output, command: statsBefore.command });
      expect(statsAfter.migrations).toEqual(statsBefore.migrations);
      expect(await versionOf()).toBe(versionBefore);
      expect(await shadowExists(target, db)).toBe(false);
      await db.exec("UPDATE customer SET first = 'named' WHERE id = 5001");
      await db.exec("INSERT INTO orders (id, amount) VALUES (9001, 1)");
      expect(await db.query("SELECT count(*) AS n FROM customer WHERE first IS NULL")).toEqual([{ n: target.name === "sqlite" ? 0 : "0" }]);

      // With the data fixed the plan is ready.
      expect((await service().post({ cmd: "plan" })).body).toMatchObject({ plan: { ready: true } });
    });

    it("answers while a migrate runs, with the running migration as it stands, without waiting for it", async () => {
      const gate = join(mkdtempSync(join(tmpdir(), "plan-gate-")), "open");
      cleanups.push(async () => rmSync(dirname(gate), { recursive: true, force: true }));
      const gated = `import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
        export default {
          tables: ["orders"],
          async dataManipulation() { while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10)); },
        };`;
      const { service } = await setUp(target, { "0001_gated.mjs": gated });
      expect((await service().post({ cmd: "migrate" })).status).toBe(200);
      try {
        const { body } = await service().post({ cmd: "plan" });
        expect(body).toMatchObject({
          success: true,
          plan: { status: "migration_running", ready: true, migrations: [{ index: 1, tables: [{ table: "orders", rows: ORDERS, route: "copy", writes: "protected" }] }] },
        });
      } finally {
        writeFileSync(gate, "go");
      }
      expect(await service().settle()).toMatchObject({ status: "finalization_required" });
    });

    it("a prerequisite check cannot write: the read-only transaction refuses it, and the table keeps its rows", async () => {
      const { db, service } = await setUp(target, { "0001_writing_check.mjs": WRITING_CHECK });
      const { body } = await service().post({ cmd: "plan" });
      const plan = body.plan as { ready: boolean; migrations: { prerequisites: string }[] };
      expect(plan.ready).toBe(false);
      expect(plan.migrations[0]!.prerequisites).toMatch(/^checkPrerequisites failed: .*read[- ]?only/i);
      expect(await db.query("SELECT count(*) AS n FROM tag")).toEqual([{ n: target.name === "sqlite" ? 0 : "0" }]);
    });

    it("estimates from the rows per second measured by the last migrate, and answers in a failed state too", async () => {
      const { service, restart } = await setUp(target, { "0001_full_name.mjs": FULL_NAME });
      expect(await run(service(), "finalize")).toMatchObject({ status: "finalized" });
      const [measured] = await listed(service());
      const rate = measured!.rows_moved / ((ms(measured!.finished_at) - ms(measured!.started_at)) / 1000);

      const failing = `export default { tables: ["orders"], transform: { orders: (row) => { if (row.id === 7) throw new Error("bad order 7"); return row; } } };`;
      await restart({ "0001_full_name.mjs": FULL_NAME, "0002_failing.mjs": failing });
      const plan = (await service().post({ cmd: "plan" })).body.plan as { estimated_seconds: number; migrations: { tables: { estimated_seconds: number }[] }[] };
      expect(plan.migrations).toHaveLength(1);
      expect(plan.migrations[0]!.tables[0]!.estimated_seconds).toBeCloseTo(ORDERS / rate, 1);
      expect(plan.estimated_seconds).toBe(plan.migrations[0]!.tables[0]!.estimated_seconds);

      expect(await run(service(), "migrate")).toMatchObject({ status: "migration_failed" });
      expect((await service().post({ cmd: "plan" })).body).toMatchObject({
        success: true, plan: { status: "migration_failed", migrations: [{ index: 2, name: "0002_failing" }], ready: true },
      });
    });
  });
}
