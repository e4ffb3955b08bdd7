import { afterEach, describe, expect, it } from "vitest";
import { createPostgresDatabase } from "../helpers/postgres-target.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";
import { untilStats } from "../helpers/until-stats.ts";

const ROWS = 40_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Stats {
  status: string;
  output: string;
  migratable_models: { count: number; migrated: number };
  throttle?: { paused: boolean; max_rows_per_second: number };
}

const until = untilStats<Stats>;

describe("pause and resume reach the migrate on another replica (PostgreSQL: replicas share the database)", () => {
  it("a migrate started on replica A is paused, re-limited and resumed through replica B", async () => {
    const db = await createPostgresDatabase();
    const dir = writeMigrations({ "0001_upper.mjs": `export default { tables: ["big"], transform: { big: (row) => ({ ...row, name: row.name.toUpperCase() }) } };` });
    cleanups.push(async () => {
      await db.drop();
      removeDir(dir);
    });
    await db.exec(`CREATE TABLE big (id integer PRIMARY KEY, name text NOT NULL); INSERT INTO big SELECT i, 'row-' || i FROM generate_series(1, ${ROWS}) i;`);
    const a = await startTestService(db, dir, { maxRowsPerSecond: 2_000 });
    cleanups.push(() => a.close(0));
    const b = await startTestService(db, dir);
    cleanups.push(() => b.close(0));

    expect(await a.post({ cmd: "migrate" })).toMatchObject({ status: 200, body: { status: "migration_running" } });
    const first = await until(b, "first range", (s) => s.migratable_models.migrated >= 5_000);
    // A's --max-rows-per-second is the run's limit; B shows it, from the command row.
    expect(first.throttle).toEqual({ paused: false, max_rows_per_second: 2_000 });

    expect(await b.post({ cmd: "pause" })).toMatchObject({ status: 200, body: { success: true, status: "migration_running" } });
    const held = await until(b, "paused line", (s) => s.output.includes("migration paused\n"));
    expect((await a.post({ cmd: "stats" })).body.stats).toMatchObject({ throttle: { paused: true, max_rows_per_second: 2_000 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(((await a.post({ cmd: "stats" })).body.stats as Stats).migratable_models).toEqual(held.migratable_models);

    expect(await b.post({ cmd: "resume", max_rows_per_second: 0 })).toMatchObject({ status: 200, body: { status: "migration_running" } });
    const end = await until(b, "the end", (s) => s.status !== "migration_running");
    expect(end).toMatchObject({ status: "finalization_required", migratable_models: { count: ROWS, migrated: ROWS } });
    expect(end.output).toContain("migration paused\nmigration resumed\n");
  });
});
