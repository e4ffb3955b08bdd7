import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

const run = promisify(execFile);
const BUF = "node_modules/.bin/buf";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close());

describe.skipIf(!existsSync(BUF))("buf curl against the shared port", () => {
  it.each([
    { protocol: "grpc", extra: ["--http2-prior-knowledge"] },
    { protocol: "connect", extra: [] },
    { protocol: "grpcweb", extra: [] },
  ])("$protocol", { timeout: 30_000 }, async ({ protocol, extra }) => {
    const { stdout } = await run(BUF, [
      "curl", "--schema", "proto", "--protocol", protocol, ...extra,
      "-H", `Authorization: ${PLAIN_AUTH}`,
      "-d", '{"verbose": true}',
      `${t.baseUrl}/migrations.v1.MigrationService/Migrate`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ status: "MIGRATION_STATE_FINALIZATION_REQUIRED" });
    expect(t.api.calls.at(-1)).toEqual({ command: "migrate", verbose: true });
  });

  it("gRPC without a password reports unauthenticated", { timeout: 30_000 }, async () => {
    const failure = await run(BUF, [
      "curl", "--schema", "proto", "--protocol", "grpc", "--http2-prior-knowledge",
      `${t.baseUrl}/migrations.v1.MigrationService/Stats`,
    ]).then(() => undefined, (error: { stderr: string }) => error.stderr);
    expect(failure).toContain("unauthenticated");
  });

  it("server reflection: buf curl lists the methods and calls them without a copy of proto/", { timeout: 30_000 }, async () => {
    // Reflection is public (the schema is in the repository); the RPCs it describes still need the password.
    const { stdout: methods } = await run(BUF, ["curl", "--http2-prior-knowledge", "--list-methods", t.baseUrl]);
    expect(methods.trim().split("\n")).toEqual([
      "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "migrations.v1.MigrationService/Cancel",
      "migrations.v1.MigrationService/Finalize",
      "migrations.v1.MigrationService/Migrate",
      "migrations.v1.MigrationService/Pause",
      "migrations.v1.MigrationService/Plan",
      "migrations.v1.MigrationService/Reset",
      "migrations.v1.MigrationService/Resume",
      "migrations.v1.MigrationService/Stats",
      "migrations.v1.MigrationService/WatchStats",
    ]);
    const { stdout } = await run(BUF, [
      "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-H", `Authorization: ${PLAIN_AUTH}`,
      `${t.baseUrl}/migrations.v1.MigrationService/Stats`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ status: "MIGRATION_STATE_FINALIZATION_REQUIRED", currentMigrationIndex: 3 });
    const failure = await run(BUF, ["curl", "--http2-prior-knowledge", `${t.baseUrl}/migrations.v1.MigrationService/Stats`]).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr,
    );
    expect(failure).toContain("unauthenticated");
  });
});
