import Database from "better-sqlite3";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { runCli as runCliInProcess } from "../../src/cli/run-cli.ts";
import { fencedBlocks } from "../readme/readme-blocks.ts";
import { cleanEnv, runCli, startServe } from "./cli-process.ts";
import { fakeTerminal } from "./fake-terminal.ts";

const root = mkdtempSync(join(tmpdir(), "cli-demo-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines = (text: string) => text.split("\n").filter(Boolean);
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("npm start: the demo", () => {
  // Several service starts and CLI runs, each a process: seconds apiece on a busy machine.
  it("seeds the demo shop and runs its migrations to finalized; a restart keeps that state", { timeout: 180_000 }, async () => {
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
    expect(serve.output().stderr).toContain('"msg":"demo data seeded"');
    const db = new Database(join(cwd, "data", "migrations.db"), { readonly: true });
    expect(db.prepare(`SELECT COUNT(*) AS "n" FROM "address"`).get()).toEqual({ n: 2000 });
    expect(Object.keys(db.prepare(`SELECT * FROM "customer" LIMIT 1`).get() as object)).toContain("full_name");
    db.close();

    // A restart of `npm start` keeps its state: nothing seeded again, still finalized.
    const again = await startServe(["--demo", "--port", "0"], { cwd });
    try {
      expect(json((await runCli(["stats", "--json", "--url", again.url])).stdout)).toMatchObject({ status: "finalized", current_migration_index: 3 });
    } finally {
      expect(await again.stop()).toBe(0);
    }
    expect(again.output().stderr).not.toContain("demo data seeded");
  });

  it("the README's reset starts the demo over", { timeout: 180_000 }, async () => {
    const cwd = join(root, "demo-reset");
    mkdirSync(cwd);
    const first = await startServe(["--demo", "--port", "0"], { cwd });
    try {
      expect((await runCli(["migrate", "--url", first.url])).code).toBe(0);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // Its commands before `npm start`, then the start.
    const resetBlock = fencedBlocks("sh").find((block) => block.startsWith("# reset the demo"))!;
    expect(readdirSync(join(cwd, "data"))).toEqual(expect.arrayContaining(["migrations.db", "migrations.db.shadow"]));
    execFileSync("sh", ["-c", resetBlock.replace(/^npm start$/m, "")], { cwd });
    expect(readdirSync(join(cwd, "data"))).toEqual([]);
    const fresh = await startServe(["--demo", "--port", "0"], { cwd });
    try {
      expect(json((await runCli(["stats", "--json", "--url", fresh.url])).stdout)).toMatchObject({ status: "migration_required", current_migration_index: 0 });
    } finally {
      expect(await fresh.stop()).toBe(0);
    }
    expect(fresh.output().stderr).toContain('"msg":"demo data seeded"');
  });

  it("refuses to seed into a database that has tables of someone else's, and changes nothing", async () => {
    const path = join(root, "shop.db");
    const app = new Database(path);
    app.exec(`CREATE TABLE "invoice" ("id" INTEGER PRIMARY KEY, "total" INTEGER); INSERT INTO "invoice" VALUES (1, 100)`);
    app.close();
    const result = await runCli(["serve", "--demo", "--port", "0", "--database", `sqlite:${path}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "Refusing to seed the demo: the database already has tables that are not the demo's (invoice). " +
        "Give --demo an empty database (--database), or serve your own migrations with --migrations DIR.\n",
    );
    const db = new Database(path, { readonly: true });
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all()).toEqual([{ name: "invoice" }]);
    expect(db.prepare(`SELECT * FROM "invoice"`).all()).toEqual([{ id: 1, total: 100 }]);
    db.close();
  });
});

describe("serve: an SQLite file in a directory that does not exist", () => {
  const migrations = join(root, "no-migrations");
  mkdirSync(migrations);

  it("stops the start with one line naming the file and the directory, and creates nothing", async () => {
    const path = join(root, "missing", "sub", "app.db");
    const result = await runCli(["serve", "--dev", "--port", "0", "--migrations", migrations, "--database", `sqlite:${path}`]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `Cannot create the SQLite database ${path}: the directory ${join(root, "missing", "sub")} does not exist (create it, or start with --create)\n`,
    });
    expect(existsSync(join(root, "missing"))).toBe(false);
  });

  it("with --create, creates the directory and serves", async () => {
    const path = join(root, "created", "sub", "app.db");
    const serve = await startServe(["--dev", "--port", "0", "--migrations", migrations, "--database", `sqlite:${path}`, "--create"]);
    try {
      expect(json((await runCli(["stats", "--json", "--url", serve.url])).stdout)).toMatchObject({ status: "finalized" });
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect(existsSync(path)).toBe(true);
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
