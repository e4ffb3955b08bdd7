import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe, type ServeProcess } from "./cli-process.ts";

const root = mkdtempSync(join(tmpdir(), "cli-cancel-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 40,000 rows at 200 rows per second: the migrate runs for minutes unless cancelled, however slowly the CLI starts. */
const ROWS = 40_000;
const UPPER = `export default { tables: ["big"], transform: { big: (row) => ({ ...row, name: row.name.toUpperCase() }) } };\n`;

const post = (url: string, body: unknown) =>
  fetch(`${url}/internal/migrations/`, {
    method: "POST",
    headers: { authorization: Buffer.from("dev").toString("base64"), "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

describe("migrations cancel (child processes)", () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    const database = join(root, "big.db");
    const db = new Database(database);
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) INSERT INTO big SELECT i, 'row-' || i FROM n;`);
    db.close();
    const migrations = join(root, "migrations");
    mkdirSync(migrations);
    writeFileSync(join(migrations, "0001_upper.mjs"), UPPER);
    serve = await startServe(["--dev", "--database", `sqlite:${database}`, "--migrations", migrations, "--port", "0"]);
  });
  afterAll(async () => {
    expect(await serve.stop()).toBe(0);
  });

  it("with nothing running is a request error (exit 2) with the server's message", async () => {
    const result = await runCli(["cancel", "--url", serve.url]);
    expect(result).toMatchObject({ code: 2, stdout: "", stderr: "Request failed (failed_precondition): No command is running; there is nothing to cancel.\n" });
  });

  it("records the cancel as $USER@hostname, waits until the migrate stopped, prints the state and the exception", async () => {
    expect(await post(serve.url, { cmd: "migrate", max_rows_per_second: 200 })).toMatchObject({ status: 200, body: { status: "migration_running" } });
    const result = await runCli(["cancel", "--url", serve.url], { env: { USER: "tester" } });
    const by = `tester@${hostname()}`;
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      `Cancel recorded (by ${by}): the running command stops at its next key range or step. Status: migration_running\n` +
        "Stopped. Status: migration_failed (migration index 0 of 1)\n" +
        `Exception: cancelled by ${by}\n`,
    );
    const stats = await post(serve.url, { cmd: "stats" });
    expect(stats.body.stats).toMatchObject({ status: "migration_failed", exception: `cancelled by ${by}` });

    expect(await runCli(["reset", "--url", serve.url])).toMatchObject({ code: 0 });
    expect(await post(serve.url, { cmd: "migrate", max_rows_per_second: 200 })).toMatchObject({ status: 200 });
    expect(await runCli(["cancel", "--by", "deploy-bot", "--url", serve.url])).toMatchObject({ code: 0, stdout: expect.stringMatching(/\nException: cancelled by deploy-bot\n$/) });
  });
});
