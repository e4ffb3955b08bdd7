import { afterEach, describe, expect, it } from "vitest";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { sqliteTarget } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("a service that cannot listen", () => {
  it("rejects its start with the socket error, and the first service keeps answering", async () => {
    const db = await sqliteTarget.create();
    await db.exec(ITEM_SCHEMA);
    const dir = writeMigrations({ "0001_add_label.mjs": itemMigration() });
    const first = await startTestService(db, dir);
    cleanups.push(async () => {
      await first.close();
      await db.drop();
      removeDir(dir);
    });
    const port = Number(new URL(first.baseUrl).port);
    await expect(startTestService(db, dir, { port })).rejects.toThrow(/the port is already in use/);
    expect((await first.post({ cmd: "stats" })).body).toMatchObject({ success: true, stats: { status: "migration_required" } });
  });
});
