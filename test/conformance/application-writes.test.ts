import { afterEach, describe, expect, it } from "vitest";
import { lostWrites, startAppWriter, workloadMigrations, WORKLOAD_SCHEMA, WORKLOAD_SEED, type WriterReport } from "../helpers/app-workload.ts";
import { STORE_TARGETS, type StoreTarget } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** How a round drives the service: migrate then finalize, or finalize straight from migration_required. */
type Route = "migrate, then finalize" | "finalize from migration_required";

async function post(service: TestService, cmd: string): Promise<number> {
  const answer = await service.post({ cmd });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return Date.now();
}

/** What the migrations ask for their tables' writes. */
type Writes = "capture" | "protect";

/** One round on a fresh database: the application writes all through migrate and finalize. */
async function round(target: StoreTarget, route: Route, writes: Writes, seed: number): Promise<{ report: WriterReport; answeredAt: number; lost: string[] }> {
  const db = await target.create();
  const dir = writeMigrations(workloadMigrations(writes));
  cleanups.push(async () => {
    await db.drop();
    removeDir(dir);
  });
  await db.exec(WORKLOAD_SCHEMA);
  await db.exec(WORKLOAD_SEED);
  const service = await startTestService(db, dir);
  cleanups.push(() => service.close());
  const writer = await startAppWriter(db, seed);
  let report: WriterReport;
  let answeredAt: number;
  try {
    // Some writes commit before any command: the copy must carry them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    answeredAt = await post(service, route === "migrate, then finalize" ? "migrate" : "finalize");
    if (route === "migrate, then finalize") {
      expect(await service.settle()).toMatchObject({ status: "finalization_required" });
      await post(service, "finalize");
    }
    expect(await service.settle()).toMatchObject({ status: "finalized" });
  } finally {
    report = await writer.stop();
  }
  return { report, answeredAt, lost: await lostWrites(db, report) };
}

for (const target of STORE_TARGETS) {
  describe(`the application writes while its tables migrate (${target.name})`, () => {
    const routes: Route[] = ["migrate, then finalize", "finalize from migration_required"];
    for (const route of routes) {
      it(`captured, ${route}: no write is refused, and every committed write is in the swapped-in table, transformed`, async () => {
        // A race: several rounds in one run, each on a fresh database.
        for (let seed = 1; seed <= 2; seed++) {
          const { report, answeredAt, lost } = await round(target, route, "capture", seed);
          expect(report.failed, `seed ${seed}`).toEqual([]);
          expect(report.refused, `seed ${seed}: writes refused`).toBe(0);
          expect(report.committed.filter((w) => w.committedAt > answeredAt && !w.newShape).length, `seed ${seed}: writes to the old tables while they migrated`).toBeGreaterThan(0);
          expect(lost, `seed ${seed}: committed writes lost, resurrected or not transformed`).toEqual([]);
        }
      });

      it(`protected (writes: "protect"), ${route}: every committed write survives, transformed; none commits to the old tables after the answer`, async () => {
        for (let seed = 1; seed <= 1; seed++) {
          const { report, answeredAt, lost } = await round(target, route, "protect", seed);
          expect(report.failed, `seed ${seed}`).toEqual([]);
          expect(report.committed.filter((w) => w.committedAt < answeredAt).length, `seed ${seed}: writes before the command`).toBeGreaterThan(0);
          expect(report.refused, `seed ${seed}: writes refused`).toBeGreaterThan(0);
          expect(lost, `seed ${seed}: committed writes lost`).toEqual([]);
          // SQLite's row triggers do not fire for a statement that matches no row: such a write changed nothing.
          const late = report.committed
            .filter((w) => w.hit && w.startedAt > answeredAt && !w.newShape)
            .map((w) => `${w.op} ${w.table} ${w.id}, started ${w.startedAt - answeredAt} ms after the answer`);
          expect(late, `seed ${seed}: writes that committed to an old table after the command answered`).toEqual([]);
        }
      });
    }
  });
}
