import { afterEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { FINALIZE_LOCK_TIMEOUT_MS } from "../helpers/pg-contract.ts";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { startPgService, type PgSetup } from "../helpers/pg-service.ts";
import { untilStats } from "../helpers/until-stats.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Runs `sql` on `client` and returns how long it took, in ms. */
async function timed(client: pg.Client, sql: string): Promise<number> {
  const started = performance.now();
  await client.query(sql);
  return performance.now() - started;
}

/** How long the reader keeps its transaction open while finalize waits. */
const HOLD_MS = 2500;

describe("finalize next to a long reader (PostgreSQL)", () => {
  it("never stalls other sessions for longer than one lock_timeout, finishes after the reader commits, reports the lock window", async () => {
    const setup: PgSetup = await startPgService(`${ITEM_SCHEMA} CREATE TABLE other (id integer PRIMARY KEY); INSERT INTO other VALUES (1);`, {
      "0001_add_label.mjs": itemMigration(),
    });
    cleanups.push(() => setup.dispose());
    expect(await setup.run("migrate")).toMatchObject({ status: "finalization_required" });

    const reader = await setup.db.connect();
    const bystander = await setup.db.connect();
    cleanups.push(() => bystander.end(), () => reader.end());
    await reader.query("BEGIN");
    await reader.query("SELECT count(*) FROM item");

    const answer = await setup.service.post({ cmd: "finalize", verbose: true });
    expect(answer.body).toMatchObject({ success: true, status: "finalization_running" });

    // While finalize retries its locks, other sessions keep answering: reads of the touched table wait at
    // most one lock_timeout behind a queued exclusive request, and other tables do not wait at all.
    const slowest = { item: 0, other: 0 };
    const holdUntil = Date.now() + HOLD_MS;
    while (Date.now() < holdUntil) {
      slowest.item = Math.max(slowest.item, await timed(bystander, "SELECT count(*) FROM item"));
      slowest.other = Math.max(slowest.other, await timed(bystander, "SELECT count(*) FROM other"));
      const stats = (await setup.service.post({ cmd: "stats" })).body.stats as { status: string };
      expect(stats.status).toBe("finalization_running");
    }
    expect(slowest.other).toBeLessThan(500);
    expect(slowest.item).toBeLessThan(FINALIZE_LOCK_TIMEOUT_MS + 500);

    await reader.query("COMMIT");
    const done = await setup.service.settle();
    expect(done.status).toBe("finalized");
    // The lock window line follows the swap's COMMIT, a moment after the state says finalized.
    const reported = await untilStats<{ output: string }>(setup.service, "lock window line", (stats) => stats.output.includes("finalization: lock window"));
    const window = /^finalization: lock window (\d+(?:\.\d)?) ms$/m.exec(reported.output);
    expect(window, reported.output).not.toBeNull();
    // The window is the time the swap held its locks, not the time it waited for the reader.
    expect(Number(window![1])).toBeLessThan(HOLD_MS);
    expect(await setup.db.query("SELECT label FROM item WHERE id = 5")).toEqual([{ label: "item-5#5" }]);
  });
});
