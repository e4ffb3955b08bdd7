import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe, type ServeProcess } from "./cli-process.ts";

const root = mkdtempSync(join(tmpdir(), "cli-list-plan-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const gate = join(root, "gate");
const UPPER_LAST = `export default { tables: ["person"], transform: { person: (row) => ({ ...row, last_name: row.last_name.toUpperCase() }) } };`;
const GATED = `import { existsSync } from "node:fs";
export default {
  tables: ["badge"],
  checkPrerequisites() { return existsSync(${JSON.stringify(gate)}) ? undefined : "the gate file is missing"; },
  async dataDefinition(db) { await db.exec("CREATE TABLE badge (id INTEGER PRIMARY KEY)"); },
};`;

describe("migrations plan and list (child processes)", () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    const database = join(root, "people.db");
    const db = new Database(database);
    db.exec(`CREATE TABLE person (id INTEGER PRIMARY KEY, last_name TEXT NOT NULL);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250) INSERT INTO person SELECT i, 'last' || i FROM n;`);
    db.close();
    const dir = join(root, "migrations");
    mkdirSync(dir);
    writeFileSync(join(dir, "0001_upper_last.mjs"), UPPER_LAST);
    writeFileSync(join(dir, "0002_gated.mjs"), GATED);
    serve = await startServe(["--dev", "--database", `sqlite:${database}`, "--migrations", dir, "--port", "0"]);
  });
  afterAll(async () => {
    expect(await serve.stop()).toBe(0);
  });

  it("plan prints each pending migration's tables and prerequisite answer, exiting 1 while one refuses and 0 once none does", async () => {
    const refused = await runCli(["plan", "--url", serve.url]);
    expect(refused.stderr).toBe("");
    expect(refused.code).toBe(1);
    const out = refused.stdout.split("\n");
    expect(out[0]).toBe("Status: migration_required");
    expect(out).toContain("1 0001_upper_last");
    expect(out.find((line) => line.includes("person"))).toMatch(/^\s+person\s+250\s+transform\s+captured\s+-$/);
    expect(out.find((line) => line.includes("badge"))).toMatch(/^\s+badge\s+0\s+create\s+captured\s+-$/);
    expect(out).toContain("  prerequisites: refused: the gate file is missing");
    expect(out).toContain("Estimated time: unknown (no migrate measured on this database yet)");
    expect(out).toContain("Not ready: a prerequisite check refuses; migrate would fail there.");

    writeFileSync(gate, "open");
    const ready = await runCli(["plan", "--json", "--url", serve.url]);
    expect(ready.code).toBe(0);
    expect(JSON.parse(ready.stdout)).toMatchObject({ status: "migration_required", ready: true, estimated_seconds: null, migrations: [{ index: 1 }, { index: 2, prerequisites: "" }] });
  });

  it("list prints every migration as a table, and --json the stats.migrations array", async () => {
    const before = await runCli(["list", "--url", serve.url]);
    expect(before.code).toBe(0);
    expect(before.stdout.split("\n").slice(0, 3).map((line) => line.split(/\s{2,}/))).toEqual([
      ["INDEX", "NAME", "STATE", "STARTED", "FINISHED", "FINALIZED", "ROWS", "LOCK WINDOW", "FILE"],
      ["1", "0001_upper_last", "migration_required", "-", "-", "-", "0", "-"],
      ["2", "0002_gated", "migration_required", "-", "-", "-", "0", "-"],
    ]);
    const fresh = JSON.parse((await runCli(["list", "--json", "--url", serve.url])).stdout) as Record<string, unknown>[];
    expect(fresh.some((m) => "lock_window_ms" in m)).toBe(false);

    expect((await runCli(["finalize", "--url", serve.url])).code).toBe(0);
    type Listed = { index: number; state: string; rows_moved: number; file_changed: boolean; finalized_at: string | null; lock_window_ms?: number };
    // The lock window is recorded just after the swap's COMMIT, a moment after the finalize ended.
    let list: Listed[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      list = JSON.parse((await runCli(["list", "--json", "--url", serve.url])).stdout) as Listed[];
      if (list.every((m) => m.lock_window_ms !== undefined)) break;
    }
    expect(list.map((m) => [m.index, m.state, m.rows_moved, m.file_changed])).toEqual([[1, "finalized", 250, false], [2, "finalized", 0, false]]);
    expect(list.every((m) => m.finalized_at !== null && m.lock_window_ms! > 0)).toBe(true);

    const after = await runCli(["list", "--url", serve.url]);
    const [, first, second] = after.stdout.split("\n").map((line) => line.split(/\s{2,}/));
    expect(first).toEqual([
      "1", "0001_upper_last", "finalized", expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), expect.any(String), expect.any(String), "250",
      `${list[0]!.lock_window_ms} ms`,
    ]);
    expect(second?.slice(0, 3)).toEqual(["2", "0002_gated", "finalized"]);
  });
});
