import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, startServe } from "./cli-process.ts";

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
});
