import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChildService, type ChildService } from "../helpers/child-service.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { fencedBlocks, ROOT, waitUntilNotRunning } from "./readme-blocks.ts";

const run = promisify(execFile);

// The `buf curl` walkthrough has its own test (readme-walkthrough.test.ts): it streams and starts its own migrate.
const examples = fencedBlocks("sh").filter((block) => block.includes("127.0.0.1:9011") && !block.startsWith("# walkthrough"));

it("the README has the curl and buf curl examples this test runs", () => {
  expect(examples.length).toBeGreaterThanOrEqual(6);
  expect(examples.some((block) => block.includes("buf curl"))).toBe(true);
});

for (const target of STORE_TARGETS) {
  describe(`the README's examples, run against a live demo server on ${target.name}`, () => {
    let db: TestDatabase;
    let service: ChildService;

    beforeAll(async () => {
      db = await target.create();
      service = await startChildService(["--demo", "--database", db.url]);
    });
    afterAll(async () => {
      await service?.stop();
      await db?.drop();
    });

    it("runs every example in order, each succeeding, and the first answers exactly as documented", async () => {
      const port = new URL(service.baseUrl).port;
      const answers: unknown[] = [];
      for (const example of examples) {
        const script = example.replaceAll("127.0.0.1:9011", `127.0.0.1:${port}`);
        const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], { cwd: ROOT });
        // /metrics answers Prometheus text; every other example answers JSON.
        const answer = (script.includes("/metrics") ? { metrics: stdout } : JSON.parse(stdout)) as Record<string, unknown>;
        if (script.includes("/internal/migrations/")) expect(answer.success, script).toBe(true);
        answers.push(answer);
        await waitUntilNotRunning(service);
      }
      const documented = JSON.parse(fencedBlocks("json")[0]!) as unknown;
      expect(answers[0]).toEqual(documented);
      const answerTo = (pattern: RegExp) => answers.filter((_answer, i) => pattern.test(examples[i]!));
      const [connectStats, bufStats] = answerTo(/MigrationService\/Stats/) as { status: string }[];
      expect(connectStats!.status).toBe("MIGRATION_STATE_FINALIZED");
      expect(bufStats!.status).toBe("MIGRATION_STATE_FINALIZED");
      expect(answerTo(/\/health\b/)).toEqual([{ status: "ok" }]);
      expect(answerTo(/\/ready\b/)).toEqual([{ status: "ready" }]);
      const [{ metrics }] = answerTo(/\/metrics\b/) as [{ metrics: string }];
      expect(metrics).toMatch(/^migrations_state\{state="finalized"\} 1$/m);
      expect(metrics).toMatch(/^migrations_requests_total\{face="json",command="finalize",status="200"\} 1$/m);
    });
  });
}
