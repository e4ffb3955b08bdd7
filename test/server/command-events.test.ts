import { afterEach, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../../src/server/start-service.ts";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, TEST_PASSWORD, writeMigrations } from "../helpers/test-service.ts";
import { sampleValue } from "./support/prometheus-text.ts";

const AUTH = Buffer.from(TEST_PASSWORD).toString("base64");

interface Running {
  baseUrl: string;
  lines: string[];
  service: RunningService;
}

let db: TestDatabase | undefined;
let dir: string | undefined;
let running: Running | undefined;

afterEach(async () => {
  await running?.service.close();
  await db?.drop();
  if (dir) removeDir(dir);
  running = db = dir = undefined;
});

async function start(target: (typeof STORE_TARGETS)[number], observeIntervalMs: number): Promise<Running> {
  db = await target.create();
  await db.exec(ITEM_SCHEMA);
  dir = writeMigrations({ "0001_item_label.mjs": itemMigration() });
  const lines: string[] = [];
  const service = await startService(
    { databaseUrl: db.url, migrationsDir: dir, host: "127.0.0.1", port: 0, password: TEST_PASSWORD, workers: 2, dev: false, demo: false, bodyLimit: 65536 },
    { log: (line) => lines.push(line), observeIntervalMs },
  );
  running = { baseUrl: `http://127.0.0.1:${service.port}`, lines, service };
  return running;
}

async function send(baseUrl: string, cmd: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/internal/migrations/`, {
    method: "POST", headers: { "content-type": "application/json", authorization: AUTH }, body: JSON.stringify({ cmd }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function metrics(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}

function logged(lines: string[], msg: string): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === msg);
}

/** Polls `check` until it returns a value (not undefined), failing after 20 s. */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const total = (text: string, command: string, outcome: string) => sampleValue(text, "migrations_commands_total", { command, outcome });

for (const target of STORE_TARGETS) {
  describe(`command counters and the "command ended" line on ${target.name}`, () => {
    it("count a command that starts and ends between two looks at the stats, once (the observer polls only at start-up here)", async () => {
      const { baseUrl, lines } = await start(target, 3_600_000);
      // Nothing to reset: the command runs and ends within milliseconds.
      expect(await send(baseUrl, "reset")).toMatchObject({ success: true });
      const afterReset = await eventually(async () => {
        const text = await metrics(baseUrl);
        return total(text, "reset", "success") === 1 ? text : undefined;
      }, "the reset to be counted");
      expect(sampleValue(afterReset, "migrations_command_duration_seconds_count", { command: "reset", outcome: "success" })).toBe(1);
      expect(await send(baseUrl, "migrate")).toMatchObject({ success: true });
      const afterMigrate = await eventually(async () => {
        const text = await metrics(baseUrl);
        return total(text, "migrate", "success") === 1 ? text : undefined;
      }, "the migrate to be counted");
      expect(total(afterMigrate, "reset", "success")).toBe(1);
      expect(total(afterMigrate, "migrate", "failed")).toBe(0);
      const runner = expect.stringMatching(new RegExp(`^${running!.service.replicaId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.\\d+$`));
      expect(logged(lines, "command ended")).toEqual([
        { msg: "command ended", level: "info", time: expect.any(String), command: "reset", outcome: "success", duration_s: expect.any(Number), runner, status: "migration_required" },
        { msg: "command ended", level: "info", time: expect.any(String), command: "migrate", outcome: "success", duration_s: expect.any(Number), runner, status: "finalization_required" },
      ]);
      expect(logged(lines, "command started").map((line) => line.command)).toEqual(["reset", "migrate"]);
    });

    it("with the observer polling often, this replica's command is still counted and logged once", async () => {
      const { baseUrl, lines } = await start(target, 20);
      await send(baseUrl, "migrate");
      // The observer logs the state the migrate left, so it has looked at the ended command at least once.
      await eventually(() => (logged(lines, "state changed").some((line) => line.to === "finalization_required") ? true : undefined), "the observer to see the end");
      await eventually(async () => (total(await metrics(baseUrl), "migrate", "success") === 1 ? true : undefined), "the migrate to be counted");
      expect(logged(lines, "command ended")).toEqual([expect.objectContaining({ command: "migrate", outcome: "success" })]);
    });
  });
}
