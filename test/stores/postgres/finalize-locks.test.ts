import { afterEach, describe, expect, it } from "vitest";
import { PROTECTION_SQLSTATE } from "../../../src/stores/postgres/protection.ts";
import { failure, PgEngineFixture } from "./pg-engine-fixture.ts";

const SCHEMA = `
CREATE TABLE item (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO item SELECT i, 'item-' || i FROM generate_series(1, 30) i;
CREATE TABLE other (id integer PRIMARY KEY);
INSERT INTO other VALUES (1);
`;
const LABEL = `export default {
  tables: ["item"],
  writes: "protect",
  dataDefinition: (db) => db.exec("ALTER TABLE item ADD COLUMN label text"),
  transform: { item: (row) => ({ ...row, label: row.name + "#" + row.id }) },
};`;

let fx: PgEngineFixture;
afterEach(async () => fx?.dispose());

async function timed(work: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work;
  return performance.now() - started;
}

describe("finalize next to a long reader", () => {
  it("retries with lock_timeout: other sessions wait at most one timeout, finalize succeeds once the reader commits", async () => {
    fx = await PgEngineFixture.create(SCHEMA);
    const store = await fx.openStore({ lockPolicy: { lockTimeoutMs: 300, attempts: 100, backoffMs: 50 } });
    fx.write("0001_label.mjs", LABEL);
    expect((await fx.run("migrate", store)).exception).toBeNull();
    const reader = await fx.connect();
    const bystander = await fx.connect();
    await reader.query("BEGIN");
    await reader.query("SELECT count(*) FROM item");

    const finalize = fx.run("finalize", store, { verbose: true });
    let slowestItem = 0;
    let slowestOther = 0;
    const holdUntil = Date.now() + 1500;
    while (Date.now() < holdUntil) {
      slowestItem = Math.max(slowestItem, await timed(bystander.query("SELECT count(*) FROM item")));
      slowestOther = Math.max(slowestOther, await timed(bystander.query("SELECT count(*) FROM other")));
    }
    expect((await store.snapshot()).command.running).toBe(true);
    expect(slowestOther).toBeLessThan(200);
    expect(slowestItem).toBeLessThan(300 + 250);

    await reader.query("COMMIT");
    const run = await finalize;
    expect(run.exception).toBeNull();
    const window = /finalization: lock window (\d+(?:\.\d)?) ms/.exec(run.snapshot.command.output);
    expect(Number(window![1])).toBeLessThan(1000);
    expect(await fx.rows("SELECT label FROM item WHERE id = 3")).toEqual([{ label: "item-3#3" }]);
  });

  it("gives up after its attempts, naming who holds the lock; nothing changes, the state stays finalization_required and the next finalize succeeds", async () => {
    fx = await PgEngineFixture.create(SCHEMA);
    const store = await fx.openStore({ lockPolicy: { lockTimeoutMs: 100, attempts: 3, backoffMs: 20 } });
    fx.write("0001_label.mjs", LABEL);
    expect((await fx.run("migrate", store)).exception).toBeNull();
    expect((await failure(fx.sql.query("DELETE FROM item WHERE id = 1"))).code).toBe(PROTECTION_SQLSTATE);
    const reader = await fx.connect();
    await reader.query("SET application_name = 'report-job'");
    await reader.query("BEGIN");
    await reader.query("SELECT count(*) FROM item");

    const run = await fx.run("finalize", store);
    expect(run.exception).toBeNull();
    expect(run.snapshot.migrations.map((m) => m.state)).toEqual(["finalization_required"]);
    expect(run.snapshot.command.running).toBe(false);
    expect(run.snapshot.command.output).toMatch(
      /^finalization not done: Finalize could not lock its tables in 3 attempt\(s\) of 100 ms: table "item" is held by pid \d+ \(application "report-job", idle in transaction, transaction open for [\d.]+ s, AccessShareLock\); nothing was changed, .* run finalize again when that transaction has ended$/m,
    );
    expect(await reader.query("SELECT count(*)::int AS n FROM item")).toMatchObject({ rows: [{ n: 30 }] });
    // Still protected, as in finalization_required: no write reaches the original that the shadow copy lacks.
    expect((await failure(fx.sql.query("DELETE FROM item WHERE id = 1"))).code).toBe(PROTECTION_SQLSTATE);
    await reader.query("COMMIT");
    const again = await fx.run("finalize", store);
    expect(again.exception).toBeNull();
    expect(again.snapshot.migrations.map((m) => m.state)).toEqual(["finalized"]);
    expect(await fx.rows("SELECT label FROM item WHERE id = 3")).toEqual([{ label: "item-3#3" }]);
  });
});

describe("connections", () => {
  const others = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";

  it("commands, successful and failed, leave at most the pool open and nothing after close", async () => {
    fx = await PgEngineFixture.create(SCHEMA);
    const baseline = (await fx.rows(others))[0]!.n as number;
    const store = await fx.openStore();
    fx.write("0001_label.mjs", LABEL);
    fx.write("0002_fail.mjs", `export default { tables: ["other"], dataManipulation: () => { throw new Error("planned"); } };`);
    const seen: number[] = [];
    for (let round = 0; round < 7; round++) {
      expect((await fx.run("migrate", store)).exception).toBe("planned");
      expect((await fx.run("reset", store)).exception).toBeNull();
      seen.push(((await fx.rows(others))[0]!.n as number) - baseline);
    }
    expect(Math.max(...seen), seen.join(", ")).toBeLessThanOrEqual(5);
    await store.close();
    // A closed connection leaves pg_stat_activity when its backend has exited, a moment after the socket closed.
    const deadline = Date.now() + 3000;
    let left = (await fx.rows(others))[0]!.n as number;
    while (left > baseline && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = (await fx.rows(others))[0]!.n as number;
    }
    expect(left).toBe(baseline);
  }, 180_000);
});
