import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/core/commands.ts";
import { ConflictError } from "../../src/core/errors.ts";
import { json, request1, type RawRequest } from "./support/raw-http.ts";
import { BODY_LIMIT, PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close());
beforeEach(() => {
  t.api.failWith = undefined;
  t.api.calls.length = 0;
  t.logger.entries.length = 0;
});

/** The list a non-string `cmd` is answered with: every command of the table, in its order. */
const VALID = COMMANDS.join(", ");

const auth = { authorization: PLAIN_AUTH, "content-type": "application/json" };
const post = (body: string | Buffer, headers: Record<string, string> = auth) => request1(t.port, { body, headers });

describe("CONTRACT §4 error table", () => {
  const rows: { name: string; req: RawRequest; status: number; message: string }[] = [
    { name: "not JSON", req: { body: "not json", headers: auth }, status: 400, message: "Request body is not valid JSON" },
    { name: "truncated JSON", req: { body: '{"cmd": "st', headers: auth }, status: 400, message: "Request body is not valid JSON" },
    { name: "empty body", req: { body: "", headers: auth }, status: 400, message: "Request body is empty; expected a JSON object" },
    { name: "invalid UTF-8", req: { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), headers: auth }, status: 400, message: "Request body is not valid UTF-8" },
    { name: "JSON array", req: { body: '["stats"]', headers: auth }, status: 400, message: "Request body must be a JSON object, got an array" },
    { name: "JSON null", req: { body: "null", headers: auth }, status: 400, message: "Request body must be a JSON object, got null" },
    { name: "JSON number", req: { body: "42", headers: auth }, status: 400, message: "Request body must be a JSON object, got a number" },
    { name: "JSON string", req: { body: '"stats"', headers: auth }, status: 400, message: "Request body must be a JSON object, got a string" },
    { name: "no cmd", req: { body: "{}", headers: auth }, status: 400, message: "No command provided" },
    { name: "cmd null", req: { body: '{"cmd": null, "verbose": true}', headers: auth }, status: 400, message: "No command provided" },
    { name: "cmd empty", req: { body: '{"cmd": ""}', headers: auth }, status: 400, message: "No command provided" },
    { name: "unknown cmd", req: { body: '{"cmd": "drop"}', headers: auth }, status: 400, message: "Unknown command: drop" },
    { name: "cmd wrong case", req: { body: '{"cmd": "STATS"}', headers: auth }, status: 400, message: "Unknown command: STATS" },
    { name: "cmd number", req: { body: '{"cmd": 5}', headers: auth }, status: 400, message: `Unknown command: 5. Valid commands: ${VALID}` },
    { name: "cmd array", req: { body: '{"cmd": ["stats"]}', headers: auth }, status: 400, message: `Unknown command: ["stats"]. Valid commands: ${VALID}` },
    { name: "cmd object", req: { body: '{"cmd": {"a": 1}}', headers: auth }, status: 400, message: `Unknown command: {"a":1}. Valid commands: ${VALID}` },
    { name: "cmd true", req: { body: '{"cmd": true}', headers: auth }, status: 400, message: `Unknown command: true. Valid commands: ${VALID}` },
    { name: "verbose string", req: { body: '{"cmd": "migrate", "verbose": "yes"}', headers: auth }, status: 400, message: "'verbose' must be a boolean, got a string" },
    { name: "verbose number", req: { body: '{"cmd": "stats", "verbose": 1}', headers: auth }, status: 400, message: "'verbose' must be a boolean, got a number" },
    { name: "verbose null", req: { body: '{"cmd": "reset", "verbose": null}', headers: auth }, status: 400, message: "'verbose' must be a boolean, got null" },
    {
      name: "body over the limit (Content-Length)",
      req: { body: `{"cmd":"stats","pad":"${"x".repeat(BODY_LIMIT)}"}`, headers: auth },
      status: 413,
      message: `Request body is larger than the limit of ${BODY_LIMIT} bytes`,
    },
    {
      name: "body over the limit (chunked)",
      req: { body: `{"cmd":"stats","pad":"${"x".repeat(BODY_LIMIT)}"}`, headers: { ...auth, "transfer-encoding": "chunked" } },
      status: 413,
      message: `Request body is larger than the limit of ${BODY_LIMIT} bytes`,
    },
    { name: "GET", req: { method: "GET", headers: auth }, status: 405, message: "Method GET not allowed; use POST" },
    { name: "PUT", req: { method: "PUT", body: '{"cmd":"stats"}', headers: auth }, status: 405, message: "Method PUT not allowed; use POST" },
    { name: "DELETE", req: { method: "DELETE", headers: auth }, status: 405, message: "Method DELETE not allowed; use POST" },
    { name: "OPTIONS", req: { method: "OPTIONS", headers: auth }, status: 405, message: "Method OPTIONS not allowed; use POST" },
    { name: "no password", req: { body: '{"cmd":"stats"}' }, status: 401, message: "Unauthorized" },
    { name: "wrong password", req: { body: '{"cmd":"stats"}', headers: { authorization: Buffer.from("nope").toString("base64") } }, status: 401, message: "Unauthorized" },
    { name: "unknown path", req: { path: "/internal/migration", body: '{"cmd":"stats"}', headers: auth }, status: 404, message: "Not found" },
    { name: "path below the route", req: { path: "/internal/migrations/stats", body: '{"cmd":"stats"}', headers: auth }, status: 404, message: "Not found" },
    { name: "root", req: { method: "GET", path: "/" }, status: 404, message: "Not found" },
  ];

  it.each(rows)("$name → $status", async ({ req, status, message }) => {
    const response = await request1(t.port, req);
    expect(response.status).toBe(status);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(json(response)).toStrictEqual({ success: false, message });
    if (status === 405) expect(response.headers.allow).toBe("POST");
    expect(t.api.calls).toEqual([]);
  });

  it("a cmd that is no string lists the valid commands, which are the route's own", async () => {
    const { message } = json(await post('{"cmd": 5}')) as { message: string };
    expect(message).toMatch(/^Unknown command: 5\. Valid commands: migrate, finalize, reset, (\w+, )*stats, (\w+, )*progress(, \w+)*$/);
    for (const cmd of message.split("Valid commands: ")[1]!.split(", ")) {
      expect((await post(JSON.stringify({ cmd }))).status, cmd).toBe(200);
    }
  });

  it("body exactly at the limit is read (and then judged by its content)", async () => {
    const prefix = '{"cmd":"stats","pad":"';
    const body = `${prefix}${"x".repeat(BODY_LIMIT - prefix.length - 2)}"}`;
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT);
    const response = await post(body);
    expect(response.status).toBe(200);
  });

  it("conflicting state → 400 with the core's message", async () => {
    t.api.failWith = new ConflictError("Migration is running, only 'stats' command is allowed.");
    const response = await post('{"cmd":"migrate"}');
    expect(response.status).toBe(400);
    expect(json(response)).toStrictEqual({ success: false, message: "Migration is running, only 'stats' command is allowed." });
  });

  it("unexpected fault → 500 with a short text; the stack goes to the log only", async () => {
    const fault = new Error("connection to database lost: password=hunter2");
    t.api.failWith = fault;
    const response = await post('{"cmd":"finalize"}');
    expect(response.status).toBe(500);
    expect(json(response)).toStrictEqual({ success: false, message: "Internal server error" });
    expect(response.text).not.toContain("hunter2");
    const logged = JSON.stringify(t.logger.entries.filter((e) => e.level === "error"));
    expect(logged).toContain("hunter2");
    expect(logged).toContain(fault.stack!.split("\n")[1]!.trim());
  });

  it("checks in order: method, auth, size, JSON, fields", async () => {
    const huge = "x".repeat(BODY_LIMIT + 1);
    // Node's client sends a GET body only with an explicit length.
    const length = { "content-length": String(huge.length) };
    expect((await request1(t.port, { method: "GET", body: huge, headers: length })).status).toBe(405);
    expect((await request1(t.port, { body: huge })).status).toBe(401);
    expect((await post(huge)).status).toBe(413);
    expect(json(await post('{"verbose": "x"'))).toMatchObject({ message: "Request body is not valid JSON" });
    expect(json(await post('{"verbose": "x"}'))).toMatchObject({ message: "No command provided" });
    expect(json(await post('{"cmd": "x", "verbose": "x"}'))).toMatchObject({ message: "Unknown command: x" });
  });
});

describe("success shapes", () => {
  it.each(["migrate", "finalize", "reset", "progress"] as const)("%s → exactly success, status, output", async (cmd) => {
    t.api.commandResult = { status: "finalization_required", output: "migration started\n" };
    const response = await post(JSON.stringify({ cmd, verbose: true }));
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(json(response)).toStrictEqual({ success: true, status: "finalization_required", output: "migration started\n" });
    expect(t.api.calls).toEqual([{ command: cmd, verbose: true }]);
  });

  it("verbose defaults to false and extra keys are ignored", async () => {
    await post('{"cmd":"migrate","extra":{"x":[1,2]},"__proto__":{"verbose":true}}');
    expect(t.api.calls).toEqual([{ command: "migrate", verbose: false }]);
  });

  it("a failed command carries exception; an empty output is still there, as \"\"", async () => {
    t.api.commandResult = { status: "migration_failed", output: "", exception: "Error: boom" };
    expect(json(await post('{"cmd":"reset"}'))).toStrictEqual({ success: true, status: "migration_failed", output: "", exception: "Error: boom" });
  });

  it("stats → the documented keys, plus warnings, tables, command, writes and migrations inside stats", async () => {
    t.api.statsResult = {
      status: "migration_failed",
      output: "migration started\n",
      exception: "Error: boom",
      currentMigrationIndex: 2,
      targetMigrationIndex: 4,
      migratableModels: { count: 10, migrated: 7 },
      warnings: ["0001_a.ts changed since it was finalized"],
      tables: [{ table: "customer", count: 6, migrated: 6 }, { table: "order", count: 4, migrated: 1 }],
      command: {
        name: "migrate", running: false, runner: "host:12:ab", startedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 600),
        endedAt: Date.UTC(2026, 0, 2, 3, 4, 7, 600), rowsPerSecond: 3.5, etaSeconds: null,
      },
      writes: [
        { table: "customer", mode: "captured", reason: "its rows reach the shadow copy through copy and transform only, so each write is replayed", backlog: 12, replayRate: 340.46 },
        { table: "order", mode: "protected", reason: "migration 0003_x changes rows with dataManipulation, which cannot be replayed row by row", backlog: 0, replayRate: null },
      ],
      migrations: [
        {
          index: 1, name: "0001_a", state: "finalized", checksum: "c1", startedAt: Date.UTC(2026, 0, 1, 0, 0, 1), finishedAt: Date.UTC(2026, 0, 1, 0, 0, 3),
          finalizedAt: Date.UTC(2026, 0, 1, 0, 0, 4), rowsMoved: 2000, lockWindowMs: 12.345, fileChanged: true,
        },
        { index: 2, name: "0002_b", state: "migration_failed", checksum: "c2", startedAt: Date.UTC(2026, 0, 2, 3, 4, 5), finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null, fileChanged: false },
      ],
    };
    const response = await post('{"cmd":"stats"}');
    expect(response.status).toBe(200);
    expect(json(response)).toStrictEqual({
      success: true,
      stats: {
        status: "migration_failed",
        output: "migration started\n",
        exception: "Error: boom",
        current_migration_index: 2,
        target_migration_index: 4,
        migratable_models: { count: 10, migrated: 7 },
        warnings: ["0001_a.ts changed since it was finalized"],
        tables: { customer: { count: 6, migrated: 6 }, order: { count: 4, migrated: 1 } },
        command: {
          name: "migrate", running: false, runner: "host:12:ab", started_at: "2026-01-02T03:04:05.600Z",
          ended_at: "2026-01-02T03:04:07.600Z", rows_per_second: 3.5, eta_seconds: null,
        },
        writes: {
          customer: { mode: "captured", reason: "its rows reach the shadow copy through copy and transform only, so each write is replayed", backlog: 12, replay_rate: 340.5 },
          order: { mode: "protected", reason: "migration 0003_x changes rows with dataManipulation, which cannot be replayed row by row", backlog: 0, replay_rate: null },
        },
        migrations: [
          {
            index: 1, name: "0001_a", state: "finalized", checksum: "c1", started_at: "2026-01-01T00:00:01.000Z", finished_at: "2026-01-01T00:00:03.000Z",
            finalized_at: "2026-01-01T00:00:04.000Z", rows_moved: 2000, file_changed: true, lock_window_ms: 12.3,
          },
          { index: 2, name: "0002_b", state: "migration_failed", checksum: "c2", started_at: "2026-01-02T03:04:05.000Z", finished_at: null, finalized_at: null, rows_moved: 0, file_changed: false },
        ],
      },
    });
    expect(t.api.calls).toEqual([{ command: "stats" }]);
  });

  it("stats without exception leaves that key out; output is there, empty", async () => {
    t.api.statsResult = { migrations: [],
      status: "finalized", output: "", currentMigrationIndex: 0, targetMigrationIndex: 0, migratableModels: { count: 0, migrated: 0 }, warnings: [], tables: [], command: null, writes: [],
    };
    const { stats } = json(await post('{"cmd":"stats"}')) as { stats: Record<string, unknown> };
    expect(Object.keys(stats).sort()).toEqual(["command", "current_migration_index", "migratable_models", "migrations", "output", "status", "tables", "target_migration_index", "warnings", "writes"]);
    expect(stats.output).toBe("");
    expect(stats).toMatchObject({ command: null, tables: {}, writes: {} });
  });

  it.each(["/internal/migrations/", "/internal/migrations", "/internal/migrations/?x=1", "/internal/migrations?cmd=nope"])(
    "path %s serves the route",
    async (path) => {
      const response = await request1(t.port, { path, body: '{"cmd":"stats"}', headers: auth });
      expect(response.status).toBe(200);
      expect(json(response).success).toBe(true);
    },
  );

  it("works without a Content-Type header (curl -d sends form encoding)", async () => {
    const response = await post('{"cmd":"stats"}', { authorization: PLAIN_AUTH, "content-type": "application/x-www-form-urlencoded" });
    expect(response.status).toBe(200);
  });
});
