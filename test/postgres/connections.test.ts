import { rmSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { IDLE_POOL_MAX } from "../helpers/pg-contract.ts";
import { ITEM_SCHEMA } from "../helpers/migration-sources.ts";
import { startPgService, type PgSetup } from "../helpers/pg-service.ts";

/** Adds `label` by a transform; throws in dataManipulation while the file `failFlag` exists. */
const flaggedMigration = (failFlag: string) => `import { existsSync } from "node:fs";
export default {
  tables: ["item"],
  async dataDefinition(db) { await db.exec("ALTER TABLE item ADD COLUMN label TEXT"); },
  transform: { item: (row) => ({ ...row, label: row.name + "#" + row.id }) },
  async dataManipulation(db) {
    await db.query("SELECT count(*) FROM item");
    if (existsSync(${JSON.stringify(failFlag)})) throw new Error("planned failure");
  },
};
`;

/** Connections other than the asking one to the test database, but those of the worker threads. */
const OTHERS = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND application_name <> 'migration-service worker'`;
/** The worker threads' own connections (ranges and replay batches), which close a second after their last use. */
const TRANSFORMS = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
  AND application_name = 'migration-service worker'`;

let setup: PgSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

describe("connections of the PostgreSQL store (bounded pool, released on every path)", () => {
  it(`after many commands, success and failure alike, the service holds at most its pool (${IDLE_POOL_MAX}); none after close`, async () => {
    let failFlag = "";
    const s = (setup = await startPgService(ITEM_SCHEMA, (gate) => {
      failFlag = `${gate}.fail`;
      return { "0001_add_label.mjs": flaggedMigration(failFlag) };
    }));
    const count = async () => Number((await s.db.query(OTHERS))[0]!.n);
    const seen: number[] = [];
    // More rounds than the pool has clients: a client leaked per command would exhaust it and hang.
    for (let round = 0; round < IDLE_POOL_MAX + 1; round++) {
      expect(await s.run("migrate")).toMatchObject({ status: "finalization_required" });
      expect(await s.run("reset")).toMatchObject({ status: "migration_required" });
      writeFileSync(failFlag, "");
      expect(await s.run("migrate")).toMatchObject({ status: "migration_failed", exception: expect.stringContaining("planned failure") });
      rmSync(failFlag);
      expect(await s.run("reset")).toMatchObject({ status: "migration_required" });
      seen.push(await count());
    }
    expect(await s.run("finalize")).toMatchObject({ status: "finalized" });
    seen.push(await count());
    expect(Math.max(...seen), `connections after each round: ${seen.join(", ")}`).toBeLessThanOrEqual(IDLE_POOL_MAX);
    // The transform threads opened their own connections for the last command; they close once idle.
    const transformDeadline = Date.now() + 3000;
    let transforms = Number((await s.db.query(TRANSFORMS))[0]!.n);
    while (transforms > 0 && Date.now() < transformDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      transforms = Number((await s.db.query(TRANSFORMS))[0]!.n);
    }
    expect(transforms).toBe(0);

    await s.stop();
    const deadline = Date.now() + 3000;
    let left = await count();
    while (left > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await count();
    }
    expect(left).toBe(0);
  });
});
