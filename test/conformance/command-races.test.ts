import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startChildService } from "../helpers/child-service.ts";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type StoreTarget, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A transform that must run exactly once: applied twice, every qty would be 2 higher. */
const PLUS_ONE = `export default { tables: ["item"], transform: { item: (row) => ({ ...row, qty: row.qty + 1 }) } };\n`;
/** A transform that never returns, so the command shows no progress. */
const ENDLESS = `export default { tables: ["item"], transform: { item: (row) => { for (;;) {} } } };\n`;

async function database(target: StoreTarget, migration: string): Promise<{ db: TestDatabase; dir: string }> {
  const db = await target.create();
  await db.exec(ITEM_SCHEMA);
  const dir = writeMigrations({});
  writeFileSync(join(dir, "0001_plus_one.mjs"), migration);
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  return { db, dir };
}

async function service(db: TestDatabase, dir: string, stallTimeoutMs?: number): Promise<TestService> {
  const started = await startTestService(db, dir, stallTimeoutMs === undefined ? {} : { stallTimeoutMs });
  cleanups.push(() => started.close(1_000));
  return started;
}

/** The qty of every item, in id order. */
async function quantities(db: TestDatabase): Promise<number[]> {
  return (await db.query("SELECT qty FROM item ORDER BY id")).map((row) => Number(row.qty));
}

const original = Array.from({ length: 50 }, (_, i) => i % 7);

for (const target of STORE_TARGETS) {
  describe(`every command runs exactly once (${target.name})`, () => {
    it("finalizes racing on one replica and on two: one runs, the others answer the state, the transform is applied once", async () => {
      for (let round = 1; round <= 3; round++) {
        const { db, dir } = await database(target, PLUS_ONE);
        const a = await service(db, dir);
        const b = round === 1 ? a : await service(db, dir);
        await a.post({ cmd: "migrate" });
        expect(await a.settle()).toMatchObject({ status: "finalization_required" });
        const answers = await Promise.all([a, b, a, b].map((s) => s.post({ cmd: "finalize" })));
        for (const answer of answers) {
          // The one that runs answers 200; the others either see it run (400) or find nothing left to do.
          if (answer.status === 400) expect(answer.body.message).toMatch(/^(Finalization|Migration) is running, only 'stats' command is allowed\.$/);
          else expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        }
        expect(await a.settle()).toMatchObject({ status: "finalized", current_migration_index: 1 });
        expect(await quantities(db), `round ${round}`).toEqual(original.map((q) => q + 1));
        // Nothing can bring a finalized migration back: every command finds nothing to do.
        for (const cmd of ["reset", "finalize", "migrate"]) expect((await b.post({ cmd })).body).toMatchObject({ status: "finalized" });
        expect(await quantities(db)).toEqual(original.map((q) => q + 1));
      }
    });

    it("finalize on one replica racing migrate on another: the state only moves forward and the data is migrated once", async () => {
      for (let round = 1; round <= 3; round++) {
        const { db, dir } = await database(target, PLUS_ONE);
        const a = await service(db, dir);
        const b = await service(db, dir);
        await a.post({ cmd: "migrate" });
        await a.settle();
        const [finalize, migrate] = await Promise.all([a.post({ cmd: "finalize" }), b.post({ cmd: "migrate" })]);
        expect([finalize.status, migrate.status]).not.toContain(500);
        expect(await a.settle()).toMatchObject({ status: "finalized" });
        expect(await b.settle()).toMatchObject({ status: "finalized" });
        expect(await quantities(db), `round ${round}`).toEqual(original.map((q) => q + 1));
      }
    });

    it("a transform in an endless loop: reset is refused while the command may still progress, then stops it after the stall timeout", async () => {
      const { db, dir } = await database(target, ENDLESS);
      const s = await service(db, dir, 1_500);
      expect((await s.post({ cmd: "migrate" })).body).toMatchObject({ status: "migration_running" });
      const refused = await s.post({ cmd: "reset" });
      expect(refused).toMatchObject({ status: 400, body: { message: "Migration is running, only 'stats' command is allowed." } });
      let answer = refused;
      for (const deadline = Date.now() + 30_000; answer.status !== 200; ) {
        if (Date.now() > deadline) throw new Error(`reset never took over: ${JSON.stringify(answer.body)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        answer = await s.post({ cmd: "reset" });
      }
      const stats = await s.settle();
      expect(stats).toMatchObject({ status: "migration_required" });
      expect(String(stats.output)).toMatch(/^reset started\n/);
      expect(await quantities(db)).toEqual(original);
      await db.exec("UPDATE item SET qty = qty + 10 WHERE id = 1");
      // The command thread is free again (one thread runs commands): another reset runs to its end.
      expect((await s.post({ cmd: "reset" })).status).toBe(200);
      expect(await s.settle()).toMatchObject({ status: "migration_required", output: expect.stringMatching(/reset finished\n$/) });
    });
  });
}

describe("shutting down while a command hangs", () => {
  it("SIGTERM ends the process within the grace period and leaves the command failed with that cause", async () => {
    const { db, dir } = await database(STORE_TARGETS[0]!, ENDLESS);
    const args = ["--database", db.url, "--migrations", dir, "--workers", "1", "--shutdown-grace", "1"];
    const first = await startChildService(args);
    cleanups.push(() => first.kill());
    expect((await first.post({ cmd: "migrate" })).body).toMatchObject({ status: "migration_running" });
    const stopped = Date.now();
    expect(await first.stop()).toBe(0);
    // The grace (1 s) plus ending the thread and recording the end: bounded, whatever the loop does.
    expect(Date.now() - stopped).toBeLessThan(15_000);
    const second = await startChildService(args);
    cleanups.push(() => second.kill());
    const stats = (await second.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
    expect(stats).toMatchObject({ status: "migration_failed" });
    expect(String(stats.exception)).toContain("the service was shut down while it ran");
    await db.exec("UPDATE item SET qty = qty + 1 WHERE id = 1");
  });
});
