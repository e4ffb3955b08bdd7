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
  exception?: string;
  migratable_models: { count: number; migrated: number };
}

const until = untilStats<Stats>;

describe("cancel reaches the migrate on another replica (PostgreSQL: replicas share the database)", () => {
  it("a migrate started on replica A is cancelled through replica B; both see migration_failed, the table writable again", async () => {
    const db = await createPostgresDatabase();
    const dir = writeMigrations({ "0001_upper.mjs": `export default { tables: ["big"], writes: "protect", transform: { big: (row) => ({ ...row, name: row.name.toUpperCase() }) } };` });
    cleanups.push(async () => {
      await db.drop();
      removeDir(dir);
    });
    await db.exec(`CREATE TABLE big (id integer PRIMARY KEY, name text NOT NULL); INSERT INTO big SELECT i, 'row-' || i FROM generate_series(1, ${ROWS}) i;`);
    const a = await startTestService(db, dir, { maxRowsPerSecond: 500 });
    cleanups.push(() => a.close(0));
    const b = await startTestService(db, dir);
    cleanups.push(() => b.close(0));

    expect(await a.post({ cmd: "migrate" })).toMatchObject({ status: 200, body: { status: "migration_running" } });
    await until(b, "first range", (s) => s.migratable_models.migrated > 0);
    expect(await b.post({ cmd: "cancel", by: "ops@b" })).toMatchObject({ status: 200, body: { success: true, status: "migration_running" } });

    const end = await until(a, "the cancelled end", (s) => s.status !== "migration_running");
    expect(end).toMatchObject({ status: "migration_failed", exception: "cancelled by ops@b" });
    expect(end.migratable_models.migrated).toBeLessThan(ROWS);
    expect((await b.post({ cmd: "stats" })).body.stats).toMatchObject({ status: "migration_failed", exception: "cancelled by ops@b" });
    await db.exec("UPDATE big SET name = 'changed' WHERE id = 1");
    expect(await db.query("SELECT count(*)::int AS n FROM big WHERE name LIKE 'row-%'")).toEqual([{ n: ROWS - 1 }]);
  });
});
