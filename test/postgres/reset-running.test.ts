import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { startPgService, type PgSetup } from "../helpers/pg-service.ts";

const RUNNING = "Migration is running, only 'stats' command is allowed.";

let setup: PgSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

describe("a reset that takes a while (PostgreSQL makes it wait deterministically)", () => {
  it("reports a running state while it runs, as CONTRACT §3 says for every started command, then migration_required", async () => {
    const s = (setup = await startPgService(ITEM_SCHEMA, { "0001_add_label.mjs": itemMigration() }));
    expect(await s.run("migrate")).toMatchObject({ status: "finalization_required" });
    // A transaction reading the shadow copy keeps reset from dropping it until it commits.
    const reader = await s.db.connect();
    try {
      await reader.query("BEGIN");
      await reader.query("SELECT count(*) FROM _migration_shadow.item");
      const answer = await s.service.post({ cmd: "reset" });
      expect(answer.status).toBe(200);
      expect(await s.service.post({ cmd: "migrate" })).toEqual({ status: 400, body: { success: false, message: RUNNING } });
      // The service refuses commands because a command runs, so it must say that one runs.
      expect(answer.body.status).toBe("migration_running");
      const stats = (await s.service.post({ cmd: "stats" })).body.stats as { status: string };
      expect(stats.status).toBe("migration_running");
    } finally {
      await reader.query("COMMIT");
      await reader.end();
    }
    expect(await s.service.settle()).toMatchObject({ status: "migration_required" });
  });
});
