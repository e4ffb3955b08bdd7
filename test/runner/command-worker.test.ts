import { rmSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadMigrations } from "../../src/migrations/loader.ts";
import type { CommandTask, MigrationRef } from "../../src/engine/messages.ts";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

let fx: EngineFixture;
let pool: Piscina | null = null;
const openPorts: MessagePort[] = [];
afterEach(async () => {
  for (const port of openPorts.splice(0)) port.close();
  await pool?.destroy();
  pool = null;
  await fx?.dispose();
});

/** The refs the main thread would pass for the fixture's migrations directory. */
async function registeredMigrations(): Promise<MigrationRef[]> {
  return (await loadMigrations(fx.migrationsDir)).map(({ index, name, path, checksum }) => ({ index, name, path, checksum }));
}

/** Claims `migrate` and runs it through the real worker shim, as the command pool does. */
async function runInWorker(registered?: MigrationRef[]): Promise<{ result: unknown; heard: string[]; ticks: number }> {
  const store = await fx.openStore();
  const migrations = registered ?? (await registeredMigrations());
  const owner = `test:${process.pid}:worker`;
  await store.claimCommand({
    command: "migrate",
    owner,
    verbose: true,
    migrations: migrations.map((m) => ({ ...m, state: "migration_running" as const })),
    count: 0,
    version: (await store.snapshot()).command.version,
    protect: [],
    output: "migration started\n",
  });
  const task: CommandTask = { command: "migrate", verbose: true, owner, databaseUrl: fx.url, migrations, transformWorkers: 2, maxFinalizeBacklog: 1000 };
  pool = new Piscina({ filename: new URL("../../src/runner/worker.mjs", import.meta.url).href, maxThreads: 1 });
  const { port1, port2 } = new MessageChannel();
  const heard: string[] = [];
  port1.on("message", (text: string) => heard.push(text));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const result = await pool.run({ task, port: port2 }, { transferList: [port2] });
    return { result, heard, ticks };
  } finally {
    clearInterval(timer);
    openPorts.push(port1);
  }
}

describe("command worker", () => {
  it("runs a claimed command in its own thread, posts its output lines, and keeps the main thread free", async () => {
    fx = new EngineFixture("CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO item (n) VALUES (1), (2), (3);");
    // Outside a "type": "module" package a .ts file loads as CommonJS: the worker threads must cope.
    rmSync(join(fx.migrationsDir, "package.json"));
    fx.write(
      "0001_burn.ts",
      `export default {
        tables: ["item"],
        dataDefinition() { const end = Date.now() + 400; while (Date.now() < end) { /* burn CPU */ } },
        transform: { item: (row: { n: number }) => ({ ...row, n: row.n * 2 }) },
      };`,
    );
    const { result, heard, ticks } = await runInWorker();
    expect(result).toEqual({ exception: null });
    expect(ticks).toBeGreaterThan(10);
    const { command, migrations } = await (await fx.openStore()).snapshot();
    // Events travel on their own channel; wait until the last one arrived. The first line came with the claim.
    await vi.waitFor(() => expect(`migration started\n${heard.join("")}`).toBe(command.output));
    expect(command).toMatchObject({ running: false, exception: null, count: 3, migrated: 3 });
    expect(migrations.map((m) => m.state)).toEqual(["finalization_required"]);
    expect(heard.at(-1)).toBe("migration finished\n");
  });

  it("records a migration file that no longer validates as that migration's failure", async () => {
    fx = new EngineFixture("CREATE TABLE item (id INTEGER PRIMARY KEY);");
    fx.write("0001_ok.mjs", `export default { tables: ["item"] };`);
    const refs = await registeredMigrations();
    // Edited between start-up and the command: the worker imports and validates the file itself.
    fx.write("0001_ok.mjs", `export default { tables: "item" };`);
    const { result } = await runInWorker(refs);
    expect(result).toMatchObject({ exception: expect.stringContaining("`tables` must be a non-empty array") });
    expect((await (await fx.openStore()).snapshot()).migrations.map((m) => m.state)).toEqual(["migration_failed"]);
  });

  it("rejects without recording anything when the store cannot be opened", async () => {
    fx = new EngineFixture("");
    pool = new Piscina({ filename: new URL("../../src/runner/worker.mjs", import.meta.url).href, maxThreads: 1 });
    const { port2 } = new MessageChannel();
    const task: CommandTask = { command: "reset", verbose: false, owner: "x:1:y", databaseUrl: "postgres://127.0.0.1:1/db", migrations: [], transformWorkers: 1, maxFinalizeBacklog: 1000 };
    await expect(pool.run({ task, port: port2 }, { transferList: [port2] })).rejects.toThrow(/Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/db/);
  });
});
