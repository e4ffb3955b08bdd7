import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A slow migration that logs a line every 60 ms in dataManipulation and in cleanup. */
const SLOW_LOGGER = `const pause = () => new Promise((r) => setTimeout(r, 60));
export default {
  tables: ["item"],
  async dataManipulation(db) { for (let i = 1; i <= 8; i++) { db.log("step " + i + " of 8"); await pause(); } },
  async cleanup(db) { for (let i = 1; i <= 5; i++) { db.log("tidying " + i); await pause(); } },
};
`;

/**
 * Drives `cmd` as the OpenSlides manage CLI does: POST the command, then poll `progress` every 100 ms
 * until the state is no running one; returns each answer's output in order.
 */
async function pollLikeTheClient(service: TestService, cmd: string): Promise<{ pieces: string[]; last: Record<string, unknown> }> {
  const first = await service.post({ cmd });
  expect(first.status).toBe(200);
  const pieces = [first.body.output as string];
  let last = first.body;
  for (const deadline = Date.now() + 30_000; String(last.status).endsWith("_running"); ) {
    if (Date.now() > deadline) throw new Error(`still running: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const poll = await service.post({ cmd: "progress" });
    expect(poll.status).toBe(200);
    expect(poll.body).toHaveProperty("output");
    pieces.push(poll.body.output as string);
    last = poll.body;
  }
  return { pieces, last };
}

for (const target of STORE_TARGETS) {
  describe(`a polling legacy client sees every output line once, in order (${target.name})`, () => {
    it("migrate, then finalize: the answer carries the first line, answers and polls together are the whole output, stats moves nothing", async () => {
      const db = await target.create();
      await db.exec(ITEM_SCHEMA);
      const dir = writeMigrations({ "0001_slow_logger.mjs": SLOW_LOGGER });
      cleanups.push(async () => {
        await db.drop();
        removeDir(dir);
      });
      const service = await startTestService(db, dir);
      cleanups.push(() => service.close());

      const seen: Record<string, string> = {};
      for (const [cmd, firstLine, lastLine, status] of [
        ["migrate", "migration started\n", "migration finished\n", "finalization_required"],
        ["finalize", "finalization started\n", "finalization finished\n", "finalized"],
      ] as const) {
        const { pieces, last } = await pollLikeTheClient(service, cmd);
        expect(pieces[0], cmd).toMatch(new RegExp(`^${firstLine}`));
        expect(last.status).toBe(status);
        const stats = (await service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
        // Stats always shows all of it and moves no cursor: the next poll has nothing new.
        expect(pieces.join(""), cmd).toBe(stats.output);
        seen[cmd] = pieces.join("");
        expect(String(stats.output).endsWith(lastLine), cmd).toBe(true);
        expect((await service.post({ cmd: "progress" })).body).toEqual({ success: true, status, output: "" });
        // Quiet unless asked: the migration's own lines, no per-table detail.
        expect(String(stats.output), cmd).not.toMatch(/copied table|swapped in/);
      }
      const text = (lines: string[]) => lines.map((line) => `${line}\n`).join("");
      expect(seen.migrate).toBe(text(["migration started", ...Array.from({ length: 8 }, (_, i) => `step ${i + 1} of 8`), "migration finished"]));
      expect(seen.finalize).toBe(text(["finalization started", ...Array.from({ length: 5 }, (_, i) => `tidying ${i + 1}`), "finalization finished"]));
      // Nothing to do: the answer says the state, with the empty output the cursor leaves.
      expect((await service.post({ cmd: "finalize" })).body).toEqual({ success: true, status: "finalized", output: "" });
    });
  });
}
