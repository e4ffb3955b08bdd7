import { spawn } from "node:child_process";
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS, sqliteTarget } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";
import { closeThreadResources, keptStore, keptTransformer } from "../../src/runner/thread-resources.ts";

const ROOT = join(import.meta.dirname, "../..");
const SCHEMA = `CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL);
INSERT INTO item (id, qty) VALUES ${Array.from({ length: 300 }, (_, i) => `(${i + 1}, ${i + 1})`).join(", ")};`;

/** A migration whose transform multiplies `qty` by `factor`. */
const multiply = (factor: number) => `export default { tables: ["item"], transform: { item: (row) => ({ ...row, qty: Number(row.qty) * ${factor} }) } };\n`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(service: TestService, cmd: string, status: string): Promise<void> {
  const answer = await service.post({ cmd });
  expect(answer.status).toBe(200);
  expect((await service.settle()).status).toBe(status);
}

describe.each(STORE_TARGETS)("the command thread across commands ($name)", (target) => {
  it("runs the new transform of a migration file changed after a reset, and leaves no connection open once closed", async () => {
    const db = await target.create();
    await db.exec(SCHEMA);
    const dir = writeMigrations({ "0001_scale.mjs": multiply(2) });
    const service = await startTestService(db, dir);
    let open = true;
    cleanups.push(async () => {
      if (open) await service.close();
      await db.drop();
      removeDir(dir);
    });
    await until(service, "migrate", "finalization_required");
    await until(service, "reset", "migration_required");
    // A new checksum: the kept thread imports the file anew instead of reusing the module it has.
    writeFileSync(join(dir, "0001_scale.mjs"), multiply(3));
    await until(service, "finalize", "finalized");
    const rows = await db.query("SELECT id, qty FROM item WHERE id IN (1, 300) ORDER BY id");
    expect(rows.map((row) => Number(row.qty))).toEqual([3, 900]);
    await service.close();
    open = false;
    if (target.name === "postgres") {
      // Only the query's own session: the kept store's pool and the range connections were closed.
      const [{ sessions }] = (await db.query("SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = current_database()")) as [{ sessions: number }];
      expect(sessions).toBe(1);
    }
  });
});

describe("a closed service", () => {
  it("lets its process exit by itself after a transform migrate: no thread, connection or timer is left", async () => {
    const db = await sqliteTarget.create();
    await db.exec(SCHEMA);
    const dir = writeMigrations({ "0001_scale.mjs": multiply(2) });
    cleanups.push(async () => {
      await db.drop();
      removeDir(dir);
    });
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures/serve-and-close.ts"), db.url, dir], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const code = await exited.finally(() => clearTimeout(timer));
    expect(output).toContain("closed after finalization_required\n");
    expect(code).toBe(0);
  }, 150_000);
});

describe("what the command thread keeps", () => {
  afterEach(closeThreadResources);

  it("keeps one store and one transform pool for every command; a replaced or deleted SQLite file is an error, never a new database", async () => {
    const db = await sqliteTarget.create();
    cleanups.push(() => db.drop());
    await db.exec(SCHEMA);
    const store = await keptStore(db.url);
    expect(await keptStore(db.url)).toBe(store);
    const transformer = await keptTransformer(2);
    expect(await keptTransformer(2)).toBe(transformer);

    const path = db.url.slice("sqlite:".length);
    const other = new Database(`${path}.new`);
    other.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)");
    other.close();
    renameSync(`${path}.new`, path);
    await expect(keptStore(db.url)).rejects.toThrow(`the SQLite database ${path} was replaced by another file while the service ran`);
    rmSync(path);
    await expect(keptStore(db.url)).rejects.toThrow(`the SQLite database ${path} was deleted or moved while the service ran`);
    expect(existsSync(path)).toBe(false);
  });
});
