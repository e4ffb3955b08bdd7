import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChildService, type ChildService } from "../helpers/child-service.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { fencedBlocks, ROOT, waitUntilNotRunning } from "./readme-blocks.ts";

const run = promisify(execFile);

/** The `buf curl` walkthrough, in README order. */
const walkthrough = fencedBlocks("sh").filter((block) => block.startsWith("# walkthrough"));
/** The TypeScript client example. */
const clientExample = fencedBlocks("ts").find((block) => block.includes("createClient(MigrationService"));

/** `buf curl` prints each message as a pretty JSON document; splits a stream of them. */
function jsonDocuments(text: string): Record<string, unknown>[] {
  return text
    .split(/\n(?=\{)/)
    .filter((part) => part.trim() !== "")
    .map((part) => JSON.parse(part) as Record<string, unknown>);
}

it("the README has the buf curl walkthrough and the TypeScript client example", () => {
  expect(walkthrough.map((block) => block.split("\n")[0])).toEqual([
    "# walkthrough: the methods of the service, by server reflection (no password needed)",
    "# walkthrough: stats over the Connect protocol (HTTP/1.1)",
    "# walkthrough: start migrate over gRPC (h2c, same port)",
    "# walkthrough: follow it; Ctrl-C leaves the stream (here `timeout` does, after 10 seconds)",
  ]);
  expect(clientExample).toBeDefined();
});

for (const target of STORE_TARGETS) {
  describe(`the README's walkthrough and client example against a live demo server on ${target.name}`, () => {
    let db: TestDatabase;
    let service: ChildService;
    let port: string;

    beforeAll(async () => {
      db = await target.create();
      service = await startChildService(["--demo", "--database", db.url]);
      port = new URL(service.baseUrl).port;
    });
    afterAll(async () => {
      await service?.stop();
      await db?.drop();
    });

    it("buf curl lists the methods, reads stats over Connect, migrates over gRPC and follows it with WatchStats", async () => {
      const outputs: string[] = [];
      for (const block of walkthrough) {
        const { stdout } = await run("bash", ["-euo", "pipefail", "-c", block.replaceAll("127.0.0.1:9011", `127.0.0.1:${port}`)], { cwd: ROOT });
        outputs.push(stdout);
      }
      const [methods, stats, migrate, watch] = outputs as [string, string, string, string];
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
      expect(JSON.parse(stats)).toMatchObject({ status: "MIGRATION_STATE_MIGRATION_REQUIRED", targetMigrationIndex: 3 });
      expect(JSON.parse(migrate).output).toMatch(/^migration started\n/);
      const messages = jsonDocuments(watch).map((m) => m.stats as Record<string, unknown>);
      expect(messages.length).toBeGreaterThanOrEqual(1);
      const last = messages.at(-1)!;
      expect(last).toMatchObject({ status: "MIGRATION_STATE_FINALIZATION_REQUIRED", command: { name: "migrate" } });
      expect(String(last.output)).toMatch(/migration finished\n$/);
    });

    it("the TypeScript client example migrates and follows the stream to the end", async () => {
      await service.post({ cmd: "reset" });
      await waitUntilNotRunning(service);
      // Inside the package, so that `migration-service/client` resolves to this checkout (a package self-reference),
      // to its sources by the `source` condition (an application gets dist/, which a checkout has only once built).
      const file = join(ROOT, `readme-client-${process.pid}-${target.name}.mts`);
      writeFileSync(file, clientExample!.replaceAll("127.0.0.1:9011", `127.0.0.1:${port}`));
      try {
        const { stdout } = await run(process.execPath, ["--conditions=source", "--import", "tsx", file], { cwd: ROOT });
        const lines = stdout.trim().split("\n");
        expect(lines.at(-1)).toMatch(/^FINALIZATION_REQUIRED \d[\d]*\/\d+ rows$/);
        expect(lines.slice(0, -1).every((line) => line.startsWith("MIGRATION_RUNNING "))).toBe(true);
      } finally {
        rmSync(file, { force: true });
      }
      expect(((await service.post({ cmd: "stats" })).body.stats as { status: string }).status).toBe("finalization_required");
    });
  });
}
