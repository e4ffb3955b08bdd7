import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MigrationInfo } from "../../src/core/migration-list.ts";
import type { Plan } from "../../src/core/plan.ts";
import type { CommandResult, MigrationApi, Stats } from "../../src/core/results.ts";
import { createHttpServer, type HttpServer } from "../../src/server/http-server.ts";
import { createSecretRedactor } from "../../src/server/redact-secrets.ts";
import { sampleValue } from "./support/prometheus-text.ts";
import { request1, request2 } from "./support/raw-http.ts";
import { MemoryLogger } from "./support/start-server.ts";

const STATS: Stats = { migrations: [],
  status: "migration_running",
  output: "migration started\n",
  currentMigrationIndex: 2,
  targetMigrationIndex: 4,
  migratableModels: { count: 1000, migrated: 250 },
  warnings: [],
  tables: [{ table: "customer", count: 1000, migrated: 250 }],
  command: { name: "migrate", running: true, runner: "host:1:ab", startedAt: 1, endedAt: null, rowsPerSecond: 125, etaSeconds: 6 },
  writes: [
    { table: "customer", mode: "captured", reason: "replayed", backlog: 42, replayRate: 10 },
    { table: "order", mode: "protected", reason: "dataManipulation", backlog: 0, replayRate: null },
  ],
};

/** An API whose stats answer, throw, or never settle, as the test says. */
class ScriptedApi implements MigrationApi {
  mode: "answer" | "throw" | "hang" = "answer";
  answer: Stats = STATS;
  error: unknown = new Error("connect ECONNREFUSED: postgres://app:hunter2@db.internal/shop refused, password hunter2");
  stats(): Promise<Stats> {
    if (this.mode === "throw") return Promise.reject(this.error);
    if (this.mode === "hang") return new Promise(() => undefined);
    return Promise.resolve(structuredClone(this.answer));
  }
  execute(): Promise<CommandResult> {
    return Promise.reject(new Error("not used"));
  }
  plan(): Promise<Plan> {
    return Promise.reject(new Error("not used"));
  }
}

let server: HttpServer;
let baseUrl: string;
let port: number;
const api = new ScriptedApi();
const logger = new MemoryLogger();

beforeAll(async () => {
  server = createHttpServer({
    api, password: "pw", bodyLimit: 1024, logger, closeGraceMs: 500, statsTimeoutMs: 100, redact: createSecretRedactor(["hunter2"]),
  });
  ({ port } = await server.listen(0, "127.0.0.1"));
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => server.close());
beforeEach(() => {
  api.mode = "answer";
  api.answer = STATS;
  logger.entries.length = 0;
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, text: await response.text() };
}

describe("GET /ready", () => {
  it("200 {status: ready} when stats answers", async () => {
    expect(await get("/ready")).toEqual({ status: 200, text: '{"status":"ready"}' });
  });

  it("503 with the error as reason, secrets and URL passwords replaced, when stats fails", async () => {
    api.mode = "throw";
    const answer = await get("/ready");
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({
      status: "not ready",
      reason: "database unavailable: connect ECONNREFUSED: postgres://app:***@db.internal/shop refused, password ***",
    });
  });

  it("503 naming the timeout when stats does not answer in time", async () => {
    api.mode = "hang";
    const started = Date.now();
    const answer = await get("/ready");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({ status: "not ready", reason: "the database did not answer within 100 ms" });
  });

  it("an error without a message is described by its code", async () => {
    api.mode = "throw";
    api.error = Object.assign(new AggregateError([], ""), { code: "ECONNREFUSED" });
    expect(JSON.parse((await get("/ready")).text)).toEqual({ status: "not ready", reason: "database unavailable: ECONNREFUSED" });
  });
});

describe("GET /health", () => {
  it("200 {status: ok} even when the database does not answer: it never asks", async () => {
    api.mode = "hang";
    expect(await get("/health")).toEqual({ status: 200, text: '{"status":"ok"}' });
  });

  it("also over HTTP/2 (prior knowledge), with a query string, and as HEAD", async () => {
    const h2 = await request2(port, { method: "GET", path: "/health?probe=1" });
    expect({ status: h2.status, text: h2.text }).toEqual({ status: 200, text: '{"status":"ok"}' });
    const head = await request1(port, { method: "HEAD", path: "/health" });
    expect({ status: head.status, text: head.text }).toEqual({ status: 200, text: "" });
  });
});

describe("GET /metrics", () => {
  it("fills the gauges from stats at scrape time", async () => {
    const { status, text } = await get("/metrics");
    expect(status).toBe(200);
    expect(sampleValue(text, "migrations_state", { state: "migration_running" })).toBe(1);
    expect(sampleValue(text, "migrations_state", { state: "finalized" })).toBe(0);
    expect(sampleValue(text, "migrations_current_index")).toBe(2);
    expect(sampleValue(text, "migrations_target_index")).toBe(4);
    expect(sampleValue(text, "migrations_rows_count")).toBe(1000);
    expect(sampleValue(text, "migrations_rows_migrated")).toBe(250);
    expect(sampleValue(text, "migrations_command_running")).toBe(1);
    expect(sampleValue(text, "migrations_rows_per_second")).toBe(125);
    expect(sampleValue(text, "migrations_table_rows_migrated", { table: "customer" })).toBe(250);
    expect(sampleValue(text, "migrations_database_up")).toBe(1);
  });

  it("per table of the pending migrations: the replay backlog and whether writes are captured", async () => {
    const { text } = await get("/metrics");
    expect(sampleValue(text, "migrations_replay_backlog", { table: "customer" })).toBe(42);
    expect(sampleValue(text, "migrations_replay_backlog", { table: "order" })).toBe(0);
    expect(sampleValue(text, "migrations_table_captured", { table: "customer" })).toBe(1);
    expect(sampleValue(text, "migrations_table_captured", { table: "order" })).toBe(0);
  });

  it("a table no longer in stats loses its per-table series", async () => {
    await get("/metrics");
    api.answer = { ...STATS, tables: [], writes: [{ ...STATS.writes[0]!, backlog: 3 }] };
    const { text } = await get("/metrics");
    expect(sampleValue(text, "migrations_replay_backlog", { table: "customer" })).toBe(3);
    expect(sampleValue(text, "migrations_replay_backlog", { table: "order" })).toBeUndefined();
    expect(sampleValue(text, "migrations_table_captured", { table: "order" })).toBeUndefined();
    expect(sampleValue(text, "migrations_table_rows_migrated", { table: "customer" })).toBeUndefined();
  });

  it("the lock window of the most recent finalize, in seconds, from the migration list; 0 before any, or when it was not recorded", async () => {
    expect(sampleValue((await get("/metrics")).text, "migrations_finalize_lock_window_seconds")).toBe(0);
    const info = (index: number, finalizedAt: number | null, lockWindowMs: number | null): MigrationInfo => ({
      index, name: `000${index}_m`, state: finalizedAt === null ? "finalization_required" : "finalized", checksum: "c",
      startedAt: 1, finishedAt: 2, finalizedAt, rowsMoved: 10, lockWindowMs, fileChanged: false,
    });
    api.answer = { ...STATS, migrations: [info(1, 5_000, 250), info(2, 9_000, 12.5), info(3, 9_000, 12.5), info(4, null, null)] };
    expect(sampleValue((await get("/metrics")).text, "migrations_finalize_lock_window_seconds")).toBe(0.0125);
    api.answer = { ...STATS, migrations: [info(1, 9_000, null), info(2, 5_000, 250)] };
    expect(sampleValue((await get("/metrics")).text, "migrations_finalize_lock_window_seconds")).toBe(0);
  });

  it("still answers 200 when stats fails: database_up 0, the gauges keep the last values, a redacted warning", async () => {
    await get("/metrics");
    api.mode = "throw";
    const { status, text } = await get("/metrics");
    expect(status).toBe(200);
    expect(sampleValue(text, "migrations_database_up")).toBe(0);
    expect(sampleValue(text, "migrations_rows_migrated")).toBe(250);
    const logged = JSON.stringify(logger.entries);
    expect(logged).toContain("metrics: stats failed");
    expect(logged).not.toContain("hunter2");
  });

  it("a server without injected metrics has no process metrics, only the service's", async () => {
    const { text } = await get("/metrics");
    expect(text).not.toContain("process_cpu");
  });
});
