import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli as runCliInProcess } from "../../src/cli/run-cli.ts";
import { cleanEnv, runCli, startServe } from "./cli-process.ts";
import { fakeTerminal } from "./fake-terminal.ts";

const root = mkdtempSync(join(tmpdir(), "cli-demo-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines = (text: string) => text.split("\n").filter(Boolean);
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("npm start: the demo", () => {
  it("seeds the demo shop and runs its migrations to finalized", async () => {
    const cwd = join(root, "demo");
    mkdirSync(cwd);
    const serve = await startServe(["--demo", "--port", "0"], { cwd });
    try {
      await serve.waitForStdout(/^WARNING: dev mode/m);
      const before = await runCli(["stats", "--json", "--url", serve.url]);
      expect(json(before.stdout)).toMatchObject({ status: "migration_required", target_migration_index: 3 });
      const migrate = await runCli(["migrate", "--url", serve.url]);
      expect(migrate.code).toBe(0);
      expect(lines(migrate.stdout).at(-1)).toBe("Status: finalization_required (migration index 0 of 3)");
      const finalize = await runCli(["finalize", "--url", serve.url]);
      expect(finalize.code).toBe(0);
      expect(lines(finalize.stdout).at(-1)).toBe("Status: finalized (migration index 3 of 3)");
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    const db = new Database(join(cwd, "data", "migrations.db"), { readonly: true });
    expect(db.prepare(`SELECT COUNT(*) AS "n" FROM "address"`).get()).toEqual({ n: 2000 });
    expect(Object.keys(db.prepare(`SELECT * FROM "customer" LIMIT 1`).get() as object)).toContain("full_name");
    db.close();
  });

  it("counts each row once per table it lands in, and the TTY bar moves while a migrate of a second or more runs", async () => {
    const cwd = join(root, "progress");
    mkdirSync(cwd);
    const serve = await startServe(["--demo", "--port", "0"], { cwd });
    try {
      await serve.waitForStdout(/^WARNING: dev mode/m);
      // Before migrate: the 2,000 customers; "address" and "loyalty_account" do not exist yet.
      const before = json((await runCli(["stats", "--json", "--url", serve.url])).stdout);
      expect(before).toMatchObject({ status: "migration_required", migratable_models: { count: 2000, migrated: 0 } });
      // 1,000 rows a second: the 2,000 customers' transform takes about two seconds.
      const terminal = fakeTerminal(true, 120);
      const code = await runCliInProcess(["migrate", "--url", serve.url, "--max-rows-per-second", "1000"], cleanEnv(), terminal);
      expect(code).toBe(0);
      const frames = terminal.stdout.split("\r\x1b[K").map((frame) => /^\[[=> ]+\] {2}([\d,]+)\/([\d,]+) rows/.exec(frame)).filter((m) => m !== null);
      const moved = frames.map((m) => ({ migrated: Number(m[1]!.replaceAll(",", "")), count: Number(m[2]!.replaceAll(",", "")) }));
      for (const [i, frame] of moved.entries()) {
        expect(frame.migrated).toBeLessThanOrEqual(frame.count);
        if (i > 0) expect(frame.migrated).toBeGreaterThanOrEqual(moved[i - 1]!.migrated);
      }
      const between = new Set(moved.filter((f) => f.migrated > 0 && f.migrated < 2000).map((f) => f.migrated));
      expect(between.size, terminal.stdout).toBeGreaterThanOrEqual(3);

      const after = json((await runCli(["stats", "--json", "--url", serve.url])).stdout);
      // The shadow copies live in a file of their own next to the database until finalize.
      const shadow = new Database(join(cwd, "data", "migrations.db.shadow"), { readonly: true });
      const loyalty = (shadow.prepare(`SELECT COUNT(*) AS "n" FROM "loyalty_account"`).get() as { n: number }).n;
      shadow.close();
      expect(loyalty).toBeGreaterThan(0);
      const tables = after.tables as Record<string, { count: number; migrated: number }>;
      expect(tables).toEqual({
        customer: { count: 2000, migrated: 2000 }, address: { count: 2000, migrated: 2000 }, loyalty_account: { count: loyalty, migrated: loyalty },
      });
      expect(after.migratable_models).toEqual({ count: 4000 + loyalty, migrated: 4000 + loyalty });
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});
