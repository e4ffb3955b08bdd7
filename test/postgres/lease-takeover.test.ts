import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROTECTION_SQLSTATE } from "../helpers/pg-contract.ts";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { pgFailure } from "../helpers/pg-service.ts";
import { createPostgresDatabase, type PostgresTestDatabase } from "../helpers/postgres-target.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

/** checkPrerequisites waits for `gate` while `slow` exists (the first run only), then `label` is added by a transform; writes are refused meanwhile. */
const slowMigration = (slow: string, gate: string) => `import { existsSync } from "node:fs";
export default {
  tables: ["item"],
  writes: "protect",
  async checkPrerequisites() {
    if (existsSync(${JSON.stringify(slow)})) while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10));
    return "";
  },
  async dataDefinition(db) { await db.exec("ALTER TABLE item ADD COLUMN label TEXT"); },
  transform: { item: (row) => ({ ...row, label: row.name + "#" + row.id }) },
};
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function statsOf(service: TestService): Promise<Record<string, unknown>> {
  return (await service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
}

/** A fresh database with the item table and one migration made from the paths of its `slow` and `gate` files. */
async function setUp(migration: (slow: string, gate: string) => string = slowMigration): Promise<{ db: PostgresTestDatabase; dir: string; slow: string; gate: string }> {
  const db = await createPostgresDatabase();
  const dir = writeMigrations({});
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  await db.exec(ITEM_SCHEMA);
  const slow = join(dir, "slow");
  const gate = join(dir, "gate");
  writeFileSync(join(dir, "0001_add_label.mjs"), migration(slow, gate));
  return { db, dir, slow, gate };
}

describe("a replica whose lease was taken changes nothing of the command that took over (PostgreSQL)", () => {
  it("A's lock connection dies mid-command; B interrupts, resets and migrates; A's leftover run lifts nothing and writes nothing", async () => {
    for (let round = 1; round <= 2; round++) {
      const { db, dir, slow, gate } = await setUp();
      writeFileSync(slow, "");
      const a = await startTestService(db, dir);
      cleanups.push(() => a.close(1_000));
      const b = await startTestService(db, dir);
      cleanups.push(() => b.close(1_000));
      expect((await a.post({ cmd: "migrate" })).body).toMatchObject({ status: "migration_running" });
      // A's pinned run-lock connection is the session holding the advisory lock.
      await db.exec(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      await until("B to declare A's command lost", async () => ((await statsOf(b)).status === "migration_failed" ? true : undefined));
      expect(String((await statsOf(b)).exception)).toMatch(/was lost before it finished/);
      expect((await b.post({ cmd: "reset" })).status).toBe(200);
      await b.settle();
      removeDir(slow);
      expect((await b.post({ cmd: "migrate" })).status).toBe(200);
      expect(await b.settle()).toMatchObject({ status: "finalization_required" });
      // A's run goes on now, long after it lost its lease; whatever it tries must change nothing of B's.
      writeFileSync(gate, "go");
      for (let i = 0; i < 10; i++) {
        const write = await pgFailure(db.exec("UPDATE item SET qty = qty + 100 WHERE id = 1"));
        expect(write.code, `round ${round}, write ${i}`).toBe(PROTECTION_SQLSTATE);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await statsOf(b)).toMatchObject({ status: "finalization_required" });
      expect((await b.post({ cmd: "finalize" })).status).toBe(200);
      expect(await b.settle()).toMatchObject({ status: "finalized" });
      const rows = await db.query("SELECT id, label FROM item ORDER BY id");
      expect(rows).toHaveLength(50);
      expect(rows.every((row) => row.label === `item-${String(row.id)}#${String(row.id)}`)).toBe(true);
    }
  });

  it("stats, /ready and a fresh start answer while another session holds a lock the interrupt of a dead command waits for", async () => {
    const { db, dir } = await setUp();
    // A command row left running by a replica that no longer exists (no advisory lock held), its table protected.
    const owner = "gone-host:4242:dead.1";
    const first = await startTestService(db, dir);
    await first.close();
    await db.exec(
      `UPDATE _migration_command SET command = 'migrate', running = true, owner = '${owner}', started_at = 1, heartbeat_at = 1 WHERE id = 1;
       INSERT INTO _migration_state (idx, name, checksum, state) VALUES (1, '0001_add_label', 'x', 'migration_running');
       CREATE TRIGGER _migration_protect BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON item FOR EACH STATEMENT EXECUTE FUNCTION _migration_protect('held by a dead command')`,
    );
    const locker = await db.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE item IN ACCESS EXCLUSIVE MODE");
      const s = await startTestService(db, dir);
      cleanups.push(() => s.close(1_000));
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        expect(await statsOf(s)).toMatchObject({ status: "migration_running" });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect((await fetch(`${s.baseUrl}/ready`)).status).toBe(200);
      }
      await locker.query("ROLLBACK");
      const failed = await until("the watchdog to interrupt the dead command", async () => {
        const stats = await statsOf(s);
        return stats.status === "migration_failed" ? stats : undefined;
      });
      expect(String(failed.exception)).toContain(owner);
      await db.exec("UPDATE item SET qty = qty + 1 WHERE id = 1");
    } finally {
      await locker.end();
    }
  });
});

describe("honest causes (PostgreSQL)", () => {
  it("every connection of the database cut mid-command (as a restart does): the command fails with the database's own error, not 'runner lost'", async () => {
    const { db, dir, gate } = await setUp((_slow, gateFile) => `import { existsSync } from "node:fs";
export default {
  tables: ["item"],
  async dataManipulation(db) {
    db.log("at the gate");
    while (!existsSync(${JSON.stringify(gateFile)})) await new Promise((r) => setTimeout(r, 10));
    await db.query("SELECT count(*) FROM item");
  },
};
`);
    const s = await startTestService(db, dir);
    cleanups.push(() => s.close(1_000));
    expect((await s.post({ cmd: "migrate" })).body).toMatchObject({ status: "migration_running" });
    await until("the migration to reach its gate", async () => (String((await statsOf(s)).output).includes("at the gate") ? true : undefined));
    await db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    writeFileSync(gate, "go");
    const failed = await until("the command to end", async () => {
      const stats = await statsOf(s);
      return String(stats.status).endsWith("_running") ? undefined : stats;
    });
    expect(failed).toMatchObject({ status: "migration_failed" });
    expect(String(failed.exception)).not.toMatch(/was lost before it finished/);
    expect(String(failed.exception)).toMatch(/terminat|connection/i);
    await db.exec("UPDATE item SET qty = qty + 1 WHERE id = 1");
  });
});
