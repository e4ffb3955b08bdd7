import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe, type ServeProcess } from "./cli-process.ts";

const root = mkdtempSync(join(tmpdir(), "cli-e2e-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory holding the given migration files. */
function migrationsDir(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [file, source] of Object.entries(files)) writeFileSync(join(dir, file), source);
  return dir;
}

/** An SQLite file with a `person` table of 300 rows. */
function personDatabase(name: string): string {
  const path = join(root, name);
  const db = new Database(path);
  db.exec(`CREATE TABLE "person" ("id" INTEGER PRIMARY KEY, "first_name" TEXT NOT NULL, "last_name" TEXT NOT NULL)`);
  const insert = db.prepare(`INSERT INTO "person" VALUES (?, ?, ?)`);
  db.transaction(() => {
    for (let id = 1; id <= 300; id++) insert.run(id, `First${id}`, `Last${id}`);
  })();
  db.close();
  return path;
}

const ADD_FULL_NAME = `export default {
  tables: ["person"],
  async dataDefinition(db) { await db.exec('ALTER TABLE "person" ADD COLUMN "full_name" TEXT'); },
  transform: { person: (row) => ({ ...row, full_name: row.first_name + " " + row.last_name }) },
};
`;
const FAILING = `export default {
  tables: ["person"],
  async dataManipulation() { throw new Error("boom: the data is not what this migration expects"); },
};
`;

const lines = (text: string) => text.split("\n").filter(Boolean);
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe("migrations CLI against a served migration (child processes)", () => {
  let serve: ServeProcess;
  let database: string;
  beforeAll(async () => {
    database = personDatabase("ok.db");
    serve = await startServe(["--dev", "--database", `sqlite:${database}`, "--migrations", migrationsDir("ok", { "0001_add_full_name.ts": ADD_FULL_NAME }), "--port", "0"]);
  });
  afterAll(async () => {
    expect(await serve.stop()).toBe(0);
    await serve.waitForStdout(/shutting down gracefully\nstopped\n/);
  });

  it("serve prints where it listens and the dev-mode warning", async () => {
    await serve.waitForStdout(/^WARNING: dev mode/m);
    const out = lines(serve.output().stdout);
    expect(out[0]).toMatch(/^migration service listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.some((line) => line.startsWith("WARNING: dev mode"))).toBe(true);
  });

  it("stats --json: migration_required in the route's shape", async () => {
    const result = await runCli(["stats", "--json", "--url", serve.url]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({
      status: "migration_required", current_migration_index: 0, target_migration_index: 1, migratable_models: { migrated: 0 },
    });
  });

  it("migrate follows the command to finalization_required", async () => {
    const result = await runCli(["migrate", "--url", serve.url, "--verbose"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out[0]).toBe("migration started");
    expect(out).toContain("migration finished");
    expect(out.at(-1)).toBe("Status: finalization_required (migration index 0 of 1)");
    expect(result.stdout).not.toContain("\r");
  });

  it("migrate again has nothing to do", async () => {
    const result = await runCli(["migrate", "--url", serve.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Nothing to migrate. Status: finalization_required (migration index 0 of 1)\n");
  });

  it("finalize swaps in the migrated table", async () => {
    const result = await runCli(["finalize", "--url", serve.url]);
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out[0]).toBe("finalization started");
    expect(out).toContain("finalization finished");
    expect(out.at(-1)).toBe("Status: finalized (migration index 1 of 1)");
    const db = new Database(database, { readonly: true });
    expect(db.prepare(`SELECT "full_name" FROM "person" WHERE "id" = 7`).get()).toEqual({ full_name: "First7 Last7" });
    db.close();
  });

  it("stats then reads finalized, as text and as JSON", async () => {
    const text = await runCli(["stats", "--url", serve.url]);
    expect(text.code).toBe(0);
    expect(lines(text.stdout).slice(0, 2)).toEqual(["Status:           finalized", "Migration index:  1 finalized, 1 registered"]);
    const result = await runCli(["stats", "--json", "--url", serve.url]);
    expect(json(result.stdout)).toMatchObject({ status: "finalized", current_migration_index: 1, target_migration_index: 1 });
  });

  it("reset prints the state", async () => {
    const result = await runCli(["reset", "--url", serve.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Nothing to reset. Status: finalized (migration index 1 of 1)\n");
  });

  it("pause and resume with nothing running are request errors (exit 2) with the server's message", async () => {
    for (const command of ["pause", "resume"]) {
      const result = await runCli([command, "--url", serve.url]);
      expect(result).toMatchObject({ code: 2, stdout: "", stderr: `Request failed (failed_precondition): No migrate or finalize is running: there is nothing to ${command}.\n` });
    }
  });

  it("a wrong password is a request error (exit 2)", async () => {
    const file = join(root, "wrong-password");
    writeFileSync(file, "not-dev\n");
    const result = await runCli(["stats", "--url", serve.url, "--password-file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("Request failed (unauthenticated): Unauthorized\n");
  });

  it("MIGRATIONS_URL and INTERNAL_AUTH_PASSWORD_FILE are read from the environment", async () => {
    const file = join(root, "dev-password");
    writeFileSync(file, "dev\n");
    const result = await runCli(["stats", "--json"], { env: { MIGRATIONS_URL: serve.url, INTERNAL_AUTH_PASSWORD_FILE: file } });
    expect(result.code).toBe(0);
    expect(json(result.stdout).status).toBe("finalized");
  });
});

describe("migrations CLI with a failing migration", () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(["--dev", "--database", `sqlite:${personDatabase("fail.db")}`, "--migrations", migrationsDir("fail", { "0001_fails.mjs": FAILING }), "--port", "0"]);
  });
  afterAll(async () => {
    expect(await serve.stop()).toBe(0);
  });

  it("migrate exits 1 and prints the exception", async () => {
    const result = await runCli(["migrate", "--url", serve.url]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toContain("Status: migration_failed (migration index 0 of 1)");
    expect(result.stderr).toMatch(/^Exception: .*boom: the data is not what this migration expects/);
  });

  it("finalize in the failed state is a request error (exit 2) with the server's message", async () => {
    const result = await runCli(["finalize", "--url", serve.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Request failed \(failed_precondition\): Migration in a failed state\. Reset before trying to finalize again\. Failed on: .*boom/);
  });

  it("stats shows the exception; reset clears the failure", async () => {
    const stats = await runCli(["stats", "--url", serve.url]);
    expect(stats.stdout).toMatch(/Exception: .*boom/);
    const result = await runCli(["reset", "--url", serve.url]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).at(-1)).toBe("Status: migration_required (migration index 0 of 1)");
  });
});

describe("migrations watch follows a command someone else started", () => {
  let serve: ServeProcess;
  const gate = join(root, "watch-gate");
  const GATED = `import { existsSync } from "node:fs";
export default {
  tables: ["person"],
  transform: { person: (row) => ({ ...row, last_name: row.last_name.toUpperCase() }) },
  async dataManipulation() { while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 10)); },
};
`;
  beforeAll(async () => {
    serve = await startServe(["--dev", "--database", `sqlite:${personDatabase("watch.db")}`, "--migrations", migrationsDir("watch", { "0001_gated.mjs": GATED }), "--port", "0"]);
  });
  afterAll(async () => {
    writeFileSync(gate, "go");
    expect(await serve.stop()).toBe(0);
  });

  it("with nothing running prints the status and exits 0", async () => {
    const result = await runCli(["watch", "--url", serve.url]);
    expect(result).toMatchObject({ code: 0, stdout: "Status: migration_required (migration index 0 of 1)\n" });
  });

  it("prints the output so far, new lines as they come, and the end; stats shows the command meanwhile", async () => {
    // A legacy client starts the migration with the route.
    const started = await fetch(`${serve.url}/internal/migrations/`, {
      method: "POST",
      headers: { authorization: Buffer.from("dev").toString("base64"), "content-type": "application/json" },
      body: JSON.stringify({ cmd: "migrate" }),
    });
    expect(((await started.json()) as { status: string }).status).toBe("migration_running");
    const watching = runCli(["watch", "--url", serve.url]);
    const stats = await runCli(["stats", "--url", serve.url]);
    expect(stats.stdout).toMatch(/^ {2}person: 300 of 300$/m);
    expect(stats.stdout).toMatch(/^Command: {10}migrate, running on [^ ]+ since \d{4}-\d\d-\d\dT[\d:.]+Z/m);
    expect(stats.stdout).toMatch(/^Throttle: {9}running, no limit of rows\/s$/m);
    expect(await runCli(["pause", "--url", serve.url])).toMatchObject({ code: 0, stderr: "", stdout: expect.stringMatching(/^Pause recorded: .*Status: migration_running\n$/) });
    expect((await runCli(["stats", "--url", serve.url])).stdout).toMatch(/^Throttle: {9}paused \(migrations resume\), no limit of rows\/s$/m);
    expect(await runCli(["resume", "--max-rows-per-second", "250", "--url", serve.url])).toMatchObject({
      code: 0, stdout: "Resumed, at most 250 rows per second. Status: migration_running\n",
    });
    expect((await runCli(["stats", "--url", serve.url])).stdout).toMatch(/^Throttle: {9}running, at most 250 rows\/s$/m);
    setTimeout(() => writeFileSync(gate, "go"), 300);
    const result = await watching;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out[0]).toBe("migration started");
    expect(out).toContain("migration finished");
    expect(out.at(-1)).toBe("Status: finalization_required (migration index 0 of 1)");
  });
});
