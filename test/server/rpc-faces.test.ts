import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConflictError } from "../../src/core/errors.ts";
import { MigrationService, MigrationState, WritesMode } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { fromStatsResponse } from "../../src/wire/proto-stats.ts";
import type { MigrationInfo } from "../../src/core/migration-list.ts";
import { json, request1 } from "./support/raw-http.ts";
import { PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close());
beforeEach(() => {
  t.api.failWith = undefined;
  t.api.calls.length = 0;
});

const withAuth: Interceptor = (next) => (req) => {
  req.header.set("authorization", PLAIN_AUTH);
  return next(req);
};

const faces: { name: string; transport: (baseUrl: string) => Transport }[] = [
  { name: "Connect over HTTP/1.1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [withAuth] }) },
  { name: "Connect over h2c", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", interceptors: [withAuth] }) },
  { name: "gRPC over h2c", transport: (baseUrl) => createGrpcTransport({ baseUrl, interceptors: [withAuth] }) },
  { name: "gRPC-Web over HTTP/1.1", transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: [withAuth] }) },
];

describe.each(faces)("$name on the shared port", ({ transport }) => {
  const client = () => createClient(MigrationService, transport(t.baseUrl));

  it("Stats maps state to the enum and counts to bigint", async () => {
    t.api.statsResult = { migrations: [],
      status: "migration_running",
      output: "migration started\n",
      currentMigrationIndex: 2,
      targetMigrationIndex: 3,
      migratableModels: { count: 5_000_000_000, migrated: 17 },
      warnings: ["w1"],
      tables: [{ table: "big", count: 5_000_000_000, migrated: 17 }],
      command: { name: "finalize", running: true, runner: "h:1:x", startedAt: 1_700_000_000_123, endedAt: null, rowsPerSecond: 8.5, etaSeconds: 12.25 },
      writes: [],
    };
    const stats = await client().stats({});
    expect(stats.status).toBe(MigrationState.MIGRATION_RUNNING);
    expect(stats.output).toBe("migration started\n");
    expect(stats.exception).toBeUndefined();
    expect(stats.currentMigrationIndex).toBe(2);
    expect(stats.targetMigrationIndex).toBe(3);
    expect(stats.migratableModels?.count).toBe(5_000_000_000n);
    expect(stats.migratableModels?.migrated).toBe(17n);
    expect(stats.warnings).toEqual(["w1"]);
    expect(stats.tables.map((t) => [t.table, t.count, t.migrated])).toEqual([["big", 5_000_000_000n, 17n]]);
    expect(stats.command).toMatchObject({ name: "finalize", running: true, runner: "h:1:x", rowsPerSecond: 8.5, etaSeconds: 12.25 });
    expect(stats.command?.startedAt && Number(stats.command.startedAt.seconds) * 1000 + stats.command.startedAt.nanos / 1e6).toBe(1_700_000_000_123);
    expect(stats.command?.endedAt).toBeUndefined();
  });

  it("Stats carries writes per table: the mode enum, the backlog as bigint, the replay rate unset while unknown", async () => {
    t.api.statsResult = {
      ...t.api.statsResult,
      writes: [
        { table: "person", mode: "captured", reason: "each write is replayed", backlog: 5_000_000_000, replayRate: 340.25 },
        { table: "order", mode: "protected", reason: "migration 0003_x changes rows with dataManipulation", backlog: 0, replayRate: null },
      ],
    };
    const stats = await client().stats({});
    expect(stats.writes.map((w) => [w.table, w.mode, w.reason, w.backlog, w.replayRate])).toEqual([
      ["person", WritesMode.CAPTURED, "each write is replayed", 5_000_000_000n, 340.25],
      ["order", WritesMode.PROTECTED, "migration 0003_x changes rows with dataManipulation", 0n, undefined],
    ]);
    expect(fromStatsResponse(stats).writes).toEqual(t.api.statsResult.writes);
  });

  it("Stats carries each migration's lock window: set once recorded, unset before, and back the same", async () => {
    const info = (index: number, lockWindowMs: number | null): MigrationInfo => ({
      index, name: `000${index}_m`, state: lockWindowMs === null ? "finalization_required" : "finalized", checksum: "c",
      startedAt: 1_000, finishedAt: 2_000, finalizedAt: lockWindowMs === null ? null : 3_000, rowsMoved: 7, lockWindowMs, fileChanged: false,
    });
    t.api.statsResult = { ...t.api.statsResult, migrations: [info(1, 12.345), info(2, null)] };
    const stats = await client().stats({});
    expect(stats.migrations.map((m) => [m.index, m.lockWindowMs])).toEqual([[1, 12.345], [2, undefined]]);
    expect(fromStatsResponse(stats).migrations).toEqual(t.api.statsResult.migrations);
  });

  it("Migrate / Finalize / Reset call execute with verbose and map the result", async () => {
    t.api.commandResult = { status: "finalization_failed", output: "", exception: "Error: boom" };
    const c = client();
    for (const answer of [await c.migrate({ verbose: true }), await c.finalize({}), await c.reset({ verbose: false })]) {
      expect(answer.status).toBe(MigrationState.FINALIZATION_FAILED);
      expect(answer.exception).toBe("Error: boom");
      expect(answer.output).toBe("");
    }
    expect(t.api.calls).toEqual([
      { command: "migrate", verbose: true },
      { command: "finalize", verbose: false },
      { command: "reset", verbose: false },
    ]);
  });

  it("a conflict is failed_precondition with the core's message", async () => {
    t.api.failWith = new ConflictError("Finalization is running, only 'stats' command is allowed.");
    const error = await client().migrate({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(error?.code).toBe(Code.FailedPrecondition);
    expect(error?.rawMessage).toBe("Finalization is running, only 'stats' command is allowed.");
  });

  it("an unexpected fault is internal with a generic message", async () => {
    t.api.failWith = new Error("secret detail");
    const error = await client().stats({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe("Internal server error");
  });

  it("no password is unauthenticated and never reaches the API", async () => {
    const bare = createClient(MigrationService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }));
    const error = await bare.reset({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(error?.code).toBe(Code.Unauthenticated);
    expect(t.api.calls).toEqual([]);
  });
});

describe("Connect protocol details", () => {
  it("a message over the body limit is resource_exhausted (readMaxBytes)", async () => {
    const response = await request1(t.port, {
      path: "/migrations.v1.MigrationService/Migrate",
      headers: { authorization: PLAIN_AUTH, "content-type": "application/json" },
      body: JSON.stringify({ verbose: true, pad: "x".repeat(70 * 1024) }),
    });
    expect(json(response).code).toBe("resource_exhausted");
    expect(t.api.calls).toEqual([]);
  });

  it("a plain JSON POST in the Connect protocol works (curl-friendly)", async () => {
    t.api.statsResult = { migrations: [],
      status: "finalized", output: "", currentMigrationIndex: 1, targetMigrationIndex: 1, migratableModels: { count: 0, migrated: 0 }, warnings: [], tables: [], command: null, writes: [],
    };
    const response = await request1(t.port, {
      path: "/migrations.v1.MigrationService/Stats",
      headers: { authorization: PLAIN_AUTH, "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(200);
    expect(json(response).status).toBe("MIGRATION_STATE_FINALIZED");
  });
});
