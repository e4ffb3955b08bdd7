import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_STATES } from "../../src/core/states.ts";
import { MigrationService } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { startService, type RunningService } from "../../src/server/start-service.ts";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { createPostgresDatabase } from "../helpers/postgres-target.ts";
import { sqliteTarget, STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, TEST_PASSWORD, writeMigrations } from "../helpers/test-service.ts";
import { declaredNames, sampleValue } from "./support/prometheus-text.ts";

const AUTH = Buffer.from(TEST_PASSWORD).toString("base64");

/** Every metric of the service that /metrics must declare. */
const METRIC_NAMES = [
  "migrations_state", "migrations_current_index", "migrations_target_index", "migrations_rows_count",
  "migrations_rows_migrated", "migrations_command_running", "migrations_command_duration_seconds",
  "migrations_commands_total", "migrations_requests_total", "migrations_request_duration_seconds",
];

/**
 * `url` with a password in it when it has none (and PGPASSWORD is unset): a trust-auth server ignores
 * it, and the tests can then check that it never leaks. SQLite URLs stay as they are.
 */
function withPassword(url: string): { url: string; secret: string | undefined } {
  if (!url.startsWith("postgres")) return { url, secret: undefined };
  const parsed = new URL(url);
  if (!parsed.password && !process.env.PGPASSWORD) parsed.password = `dbpw-${randomBytes(6).toString("hex")}`;
  return { url: parsed.toString(), secret: parsed.password ? decodeURIComponent(parsed.password) : undefined };
}

/** A real service on a free port whose log lines the test keeps. */
interface OpsService {
  baseUrl: string;
  lines: string[];
  service: RunningService;
  databaseUrl: string;
  /** Every secret that must never show: the password, its header form, the database URL's password. */
  secrets: string[];
}

async function startOpsService(db: TestDatabase, dir: string): Promise<OpsService> {
  const { url, secret } = withPassword(db.url);
  const lines: string[] = [];
  const service = await startService(
    { databaseUrl: url, migrationsDir: dir, host: "127.0.0.1", port: 0, password: TEST_PASSWORD, workers: 2, dev: false, demo: false, bodyLimit: 65536 },
    { log: (line) => lines.push(line), observeIntervalMs: 50 },
  );
  const secrets = [TEST_PASSWORD, AUTH, ...(secret ? [secret, url] : [])];
  return { baseUrl: `http://127.0.0.1:${service.port}`, lines, service, databaseUrl: url, secrets };
}

const withAuth: Interceptor = (next) => (req) => {
  req.header.set("authorization", AUTH);
  return next(req);
};

/** Clients of every face of `baseUrl`. */
function clients(baseUrl: string) {
  return {
    json: (cmd: string) =>
      fetch(`${baseUrl}/internal/migrations/`, {
        method: "POST", headers: { "content-type": "application/json", authorization: AUTH }, body: JSON.stringify({ cmd }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> })),
    connect: createClient(MigrationService, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [withAuth] })),
    grpc: createClient(MigrationService, createGrpcTransport({ baseUrl, interceptors: [withAuth] })),
    grpcWeb: createClient(MigrationService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: [withAuth] })),
  };
}

async function get(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** Polls `check` until it returns a value (not undefined) or 30 s passed (a first migrate starts its worker thread: seconds under load). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The parsed log lines with msg `request`. */
function requestLines(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "request");
}

for (const target of STORE_TARGETS) {
  describe(`health, readiness, metrics and logs of the real service on ${target.name}`, () => {
    let db: TestDatabase;
    let dir: string;
    let ops: OpsService;

    beforeAll(async () => {
      db = await target.create();
      await db.exec(ITEM_SCHEMA);
      dir = writeMigrations({ "0001_item_label.mjs": itemMigration() });
      ops = await startOpsService(db, dir);
    });
    afterAll(async () => {
      await ops?.service.close();
      await db?.drop();
      if (dir) removeDir(dir);
    });

    it("GET /health answers 200 {status: ok} without a password", async () => {
      const answer = await get(`${ops.baseUrl}/health`);
      expect(answer).toMatchObject({ status: 200, type: "application/json" });
      expect(JSON.parse(answer.text)).toEqual({ status: "ok" });
    });

    it("GET /ready answers 200 {status: ready} while the database answers", async () => {
      const answer = await get(`${ops.baseUrl}/ready`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ status: "ready" });
    });

    it("another method on an ops path is a JSON 405", async () => {
      const response = await fetch(`${ops.baseUrl}/health`, { method: "POST", body: "{}" });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
      expect(await response.json()).toEqual({ success: false, message: "Method POST not allowed; use GET" });
    });

    it("after a migrate, /metrics shows every metric, the state, indexes, rows and the command's end", async () => {
      const before = await get(`${ops.baseUrl}/metrics`);
      expect(before.status).toBe(200);
      expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sampleValue(before.text, "migrations_state", { state: "migration_required" })).toBe(1);
      expect(sampleValue(before.text, "migrations_rows_count")).toBe(50);

      const c = clients(ops.baseUrl);
      expect((await c.json("migrate")).status).toBe(200);
      const text = await eventually(async () => {
        const { text } = await get(`${ops.baseUrl}/metrics`);
        return sampleValue(text, "migrations_commands_total", { command: "migrate", outcome: "success" }) === 1 ? text : undefined;
      }, "the migrate to be counted");

      expect(declaredNames(text)).toEqual(expect.arrayContaining(METRIC_NAMES));
      for (const state of ALL_STATES) {
        expect(sampleValue(text, "migrations_state", { state }), state).toBe(state === "finalization_required" ? 1 : 0);
      }
      expect(sampleValue(text, "migrations_current_index")).toBe(0);
      expect(sampleValue(text, "migrations_target_index")).toBe(1);
      expect(sampleValue(text, "migrations_rows_count")).toBe(50);
      expect(sampleValue(text, "migrations_rows_migrated")).toBe(50);
      expect(sampleValue(text, "migrations_command_running")).toBe(0);
      expect(sampleValue(text, "migrations_database_up")).toBe(1);
      expect(sampleValue(text, "migrations_command_duration_seconds_count", { command: "migrate", outcome: "success" })).toBe(1);
      expect(sampleValue(text, "migrations_commands_total", { command: "migrate", outcome: "failed" })).toBe(0);
      expect(sampleValue(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    });

    it("counts requests per face, command and status", async () => {
      const count = async (labels: Record<string, string>) =>
        sampleValue((await get(`${ops.baseUrl}/metrics`)).text, "migrations_requests_total", labels) ?? 0;
      const faces = [
        { labels: { face: "json", command: "stats", status: "200" }, send: () => clients(ops.baseUrl).json("stats") },
        { labels: { face: "connect", command: "Stats", status: "ok" }, send: () => clients(ops.baseUrl).connect.stats({}) },
        { labels: { face: "grpc", command: "Stats", status: "ok" }, send: () => clients(ops.baseUrl).grpc.stats({}) },
        { labels: { face: "grpc-web", command: "Stats", status: "ok" }, send: () => clients(ops.baseUrl).grpcWeb.stats({}) },
        { labels: { face: "ops", command: "health", status: "200" }, send: () => get(`${ops.baseUrl}/health`) },
        { labels: { face: "json", command: "none", status: "401" }, send: () => fetch(`${ops.baseUrl}/internal/migrations/`, { method: "POST", body: "{}" }) },
        { labels: { face: "connect", command: "Migrate", status: "unauthenticated" }, send: () =>
          createClient(MigrationService, createConnectTransport({ baseUrl: ops.baseUrl, httpVersion: "1.1" })).migrate({}).catch(() => undefined) },
      ];
      for (const face of faces) {
        const start = await count(face.labels);
        await face.send();
        await face.send();
        await eventually(async () => ((await count(face.labels)) === start + 2 ? true : undefined), JSON.stringify(face.labels));
      }
      const text = (await get(`${ops.baseUrl}/metrics`)).text;
      expect(sampleValue(text, "migrations_request_duration_seconds_count", { face: "grpc", command: "Stats", status: "ok" })).toBeGreaterThanOrEqual(2);
    });

    it("logs one line per request on every face, with face, command, status and duration_ms", async () => {
      const c = clients(ops.baseUrl);
      const from = ops.lines.length;
      await c.json("stats");
      await c.connect.stats({});
      await c.grpc.stats({});
      await c.grpcWeb.stats({});
      await get(`${ops.baseUrl}/ready`);
      await fetch(`${ops.baseUrl}/internal/migrations/`, { method: "POST", headers: { authorization: AUTH }, body: '{"cmd":"nope"}' });
      const lines = await eventually(() => {
        const found = requestLines(ops.lines.slice(from));
        return found.length >= 6 ? found : undefined;
      }, "six request lines");
      expect(lines.map(({ face, command, status }) => ({ face, command, status }))).toEqual([
        { face: "json", command: "stats", status: "200" },
        { face: "connect", command: "Stats", status: "ok" },
        { face: "grpc", command: "Stats", status: "ok" },
        { face: "grpc-web", command: "Stats", status: "ok" },
        { face: "ops", command: "ready", status: "200" },
        { face: "json", command: "none", status: "400" },
      ]);
      for (const line of lines) {
        expect(line).toMatchObject({ level: "info", time: expect.any(String) });
        expect(line.duration_ms).toEqual(expect.any(Number));
        expect(Object.keys(line).sort()).toEqual(["command", "duration_ms", "face", "level", "msg", "status", "time"]);
      }
    });

    it("a WatchStats stream is one request line, written when the client leaves it", async () => {
      const c = clients(ops.baseUrl);
      for (const [face, client] of [["connect", c.connect], ["grpc", c.grpc]] as const) {
        const from = ops.lines.length;
        const leave = new AbortController();
        for await (const message of client.watchStats({}, { signal: leave.signal })) {
          expect(message.stats).toBeDefined();
          break;
        }
        leave.abort();
        const [line] = await eventually(() => {
          const found = requestLines(ops.lines.slice(from)).filter((l) => l.command === "WatchStats");
          return found.length > 0 ? found : undefined;
        }, `the ${face} WatchStats line`);
        expect(line).toMatchObject({ face, command: "WatchStats", status: "canceled" });
      }
    });

    it("logs each state change with the command and its runner, and the command's end", async () => {
      const parsed = ops.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const changes = parsed.filter((line) => line.msg === "state changed");
      expect(changes[0]).toMatchObject({ from: null, to: "migration_required", command: null, runner: null });
      expect(changes.at(-1)).toMatchObject({ to: "finalization_required", command: "migrate", runner: expect.stringMatching(/:\d+:/) });
      for (const [i, change] of changes.entries()) if (i > 0) expect(change.from).toBe(changes[i - 1]!.to);
      expect(parsed.filter((line) => line.msg === "command ended")).toEqual([
        expect.objectContaining({ command: "migrate", outcome: "success", duration_s: expect.any(Number) }),
      ]);
    });

    it("no password, header value or database password in /metrics, /ready or the log", async () => {
      const texts = [(await get(`${ops.baseUrl}/metrics`)).text, (await get(`${ops.baseUrl}/ready`)).text, ops.lines.join("\n")];
      for (const text of texts) for (const secret of ops.secrets) expect(text).not.toContain(secret);
      expect(ops.lines.join("\n")).not.toMatch(/authorization/i);
    });
  });
}

describe("readiness when the PostgreSQL database goes away", () => {
  it("/ready turns 503 with a reason that holds no password or URL, /health stays 200", async () => {
    const db = await createPostgresDatabase();
    const dir = writeMigrations({ "0001_item_label.mjs": itemMigration() });
    await db.exec(ITEM_SCHEMA);
    const ops = await startOpsService(db, dir);
    try {
      expect((await get(`${ops.baseUrl}/ready`)).status).toBe(200);
      await db.drop();
      const answer = await eventually(async () => {
        const ready = await get(`${ops.baseUrl}/ready`);
        return ready.status === 503 ? ready : undefined;
      }, "/ready to answer 503");
      const body = JSON.parse(answer.text) as { status: string; reason: string };
      expect(body.status).toBe("not ready");
      expect(body.reason).toMatch(/\S/);
      expect(JSON.parse((await get(`${ops.baseUrl}/health`)).text)).toEqual({ status: "ok" });
      const metrics = (await get(`${ops.baseUrl}/metrics`)).text;
      expect(sampleValue(metrics, "migrations_database_up")).toBe(0);
      const texts = [answer.text, metrics, ops.lines.join("\n")];
      for (const text of texts) for (const secret of [...ops.secrets, ops.databaseUrl]) expect(text).not.toContain(secret);
    } finally {
      await ops.service.close();
      await db.drop();
      removeDir(dir);
    }
  });
});

describe("the log level of the service", () => {
  it("at warn, no info lines (start-up, requests, state changes) reach StartOptions.log", async () => {
    const db = await sqliteTarget.create();
    const dir = writeMigrations({});
    const lines: string[] = [];
    const service = await startService(
      { databaseUrl: db.url, migrationsDir: dir, host: "127.0.0.1", port: 0, password: TEST_PASSWORD, workers: 1, dev: false, demo: false, bodyLimit: 65536, logLevel: "warn" },
      { log: (line) => lines.push(line), observeIntervalMs: 20 },
    );
    try {
      expect((await get(`http://127.0.0.1:${service.port}/health`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await service.close();
      await db.drop();
      removeDir(dir);
    }
    expect(lines.map((line) => JSON.parse(line) as { level: string }).filter((line) => line.level === "info")).toEqual([]);
  });
});
