import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROTECTION_SQLSTATE } from "../helpers/pg-contract.ts";
import { startChildService, type ChildService } from "../helpers/child-service.ts";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { pgFailure } from "../helpers/pg-service.ts";
import { createPostgresDatabase, type PostgresTestDatabase } from "../helpers/postgres-target.ts";
import { removeDir, writeMigrations } from "../helpers/test-service.ts";

const RUNNING = "Migration is running, only 'stats' command is allowed.";

/** Adds `label` by a transform, records the pid of the process that runs it, then waits for `gate` in dataManipulation. */
const gatedMigration = (runs: string, gate: string) => `import { appendFileSync, existsSync } from "node:fs";
export default {
  tables: ["item"],
  async checkPrerequisites() { appendFileSync(${JSON.stringify(runs)}, process.pid + "\\n"); return ""; },
  async dataDefinition(db) { await db.exec("ALTER TABLE item ADD COLUMN label TEXT"); },
  transform: { item: (row) => ({ ...row, label: row.name + "#" + row.id }) },
  async dataManipulation() { while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10)); },
};
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Two child services on one fresh database and one migrations directory. */
async function twoReplicas() {
  const db = await createPostgresDatabase();
  const dir = writeMigrations({});
  const runs = join(dir, "runs");
  const gate = join(dir, "gate");
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  await db.exec(ITEM_SCHEMA);
  writeFileSync(join(dir, "0001_add_label.mjs"), gatedMigration(runs, gate));
  const args = ["--database", db.url, "--migrations", dir, "--workers", "1"];
  const [a, b] = await Promise.all([startChildService(args), startChildService(args)]);
  cleanups.push(() => a.kill(), () => b.kill());
  const pids = () => (existsSync(runs) ? readFileSync(runs, "utf8").trim().split("\n").map(Number) : []);
  return { db, a, b, pids, release: () => writeFileSync(gate, "go") };
}

async function statsOf(service: ChildService): Promise<Record<string, unknown>> {
  return (await service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
}

/** Stats without the rate and ETA of a running command, which move with the clock between two calls. */
async function stableStatsOf(service: ChildService): Promise<Record<string, unknown>> {
  const stats = await statsOf(service);
  const command = stats.command as Record<string, unknown> | null;
  return { ...stats, command: command && command.running ? { ...command, rows_per_second: "moves", eta_seconds: "moves" } : command };
}

/** Polls stats until `done(stats)`; fails after `ms`. */
async function pollStats(service: ChildService, done: (stats: Record<string, unknown>) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const stats = await statsOf(service);
    if (done(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Retries `write` on the origin until it goes through; returns the ms it took, failing after `ms`. */
async function untilWritable(db: PostgresTestDatabase, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await db.exec("UPDATE item SET qty = qty WHERE id = 1");
      return Date.now() - started;
    } catch (error) {
      if ((error as { code?: string }).code !== PROTECTION_SQLSTATE || Date.now() - started > ms) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("two replicas on one PostgreSQL database behave as one service", () => {
  it("one command at a time across replicas; both see the same state, output and progress", async () => {
    const { a, b, pids, release } = await twoReplicas();
    const answers = await Promise.all([a.post({ cmd: "migrate" }), b.post({ cmd: "migrate" })]);
    expect(answers.map((x) => x.status).sort()).toEqual([200, 400]);
    expect(answers.find((x) => x.status === 400)!.body).toEqual({ success: false, message: RUNNING });

    const running = await pollStats(a, (s) => (s.migratable_models as { migrated: number }).migrated === 50);
    expect(running).toMatchObject({ status: "migration_running", migratable_models: { count: 50, migrated: 50 } });
    expect(String(running.output)).toMatch(/^migration started\n/);
    expect(await stableStatsOf(b)).toEqual(await stableStatsOf(a));
    for (const service of [a, b]) {
      for (const cmd of ["migrate", "finalize", "reset"]) {
        expect(await service.post({ cmd }), cmd).toEqual({ status: 400, body: { success: false, message: RUNNING } });
      }
    }
    expect(pids()).toHaveLength(1);
    expect([a.child.pid, b.child.pid]).toContain(pids()[0]);

    release();
    const done = await pollStats(b, (s) => s.status === "finalization_required");
    expect(String(done.output)).toMatch(/migration finished\n$/);
    expect(await statsOf(a)).toEqual(done);
    // Finalize on the replica that did not run migrate.
    const other = pids()[0] === a.child.pid ? b : a;
    expect((await other.post({ cmd: "finalize" })).status).toBe(200);
    expect(await pollStats(a, (s) => s.status === "finalized")).toMatchObject({ current_migration_index: 1 });
    expect(pids()).toHaveLength(1);
  });

  it("SIGKILL of the runner: the other replica reports it lost on its own, lifts the protection, and recovers", async () => {
    const { db, a, b, pids, release } = await twoReplicas();
    expect((await a.post({ cmd: "migrate" })).status).toBe(200);
    await pollStats(b, (s) => s.status === "migration_running" && (s.migratable_models as { migrated: number }).migrated === 50);
    expect(pids()).toEqual([a.child.pid]);
    expect((await pgFailure(db.exec("UPDATE item SET qty = 1 WHERE id = 1"))).code).toBe(PROTECTION_SQLSTATE);

    await a.kill();
    // No client talks to B here: its watchdog alone must notice and lift the write protection.
    const liftedAfter = await untilWritable(db, 6000);
    expect(liftedAfter).toBeLessThan(6000);
    const failed = await statsOf(b);
    expect(failed.status).toBe("migration_failed");
    expect(String(failed.exception)).toMatch(/interrupted/);
    expect(String(failed.exception)).toMatch(/runner .* was lost/);

    expect((await b.post({ cmd: "reset" })).status).toBe(200);
    expect(await pollStats(b, (s) => !String(s.status).endsWith("_running"))).toMatchObject({ status: "migration_required" });
    release();
    expect((await b.post({ cmd: "finalize" })).status).toBe(200);
    expect(await pollStats(b, (s) => s.status === "finalized")).not.toHaveProperty("exception");
    expect(pids()).toEqual([a.child.pid, b.child.pid]);
    expect(await db.query("SELECT label FROM item WHERE id = 9")).toEqual([{ label: "item-9#9" }]);
  });
});
