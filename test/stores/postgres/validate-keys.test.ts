import { claimOn } from "../../helpers/claim.ts";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { bookkeepingIn } from "../../../src/stores/postgres/bookkeeping.ts";
import type { ForeignKeyPlan } from "../../../src/stores/postgres/swap-foreign-keys.ts";
import { validateForeignKeys } from "../../../src/stores/postgres/validate-keys.ts";
import { PgEngineFixture } from "./pg-engine-fixture.ts";

let fx: PgEngineFixture;
afterEach(async () => fx?.dispose());

const key = (name: string, child: string): ForeignKeyPlan => ({
  name, definition: "", child, parent: "parent", childColumns: ["parent_id"], parentColumns: ["id"],
  childNow: `public.${child}`, parentNow: "public.parent", childAfter: `public.${child}`, dropFirst: true,
});

describe("validating the re-created foreign keys after the swap", () => {
  it("validates good keys; leaves a broken one NOT VALID (still enforced) and appends a warning to the ended command's output", async () => {
    fx = await PgEngineFixture.create(`
      CREATE TABLE parent (id integer PRIMARY KEY); INSERT INTO parent VALUES (1);
      CREATE TABLE good (parent_id integer); INSERT INTO good VALUES (1);
      CREATE TABLE bad (parent_id integer); INSERT INTO bad VALUES (1), (2);
      ALTER TABLE good ADD CONSTRAINT good_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;
      ALTER TABLE bad ADD CONSTRAINT bad_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;`);
    const store = await fx.openStore();
    const owner = "host:1:a";
    await claimOn(store, owner, { command: "finalize" });
    await store.appendOutput(owner, "finalization finished\n");
    await store.completeCommand(owner, [], null, false);
    const pool = new pg.Pool({ connectionString: fx.db.url, max: 2 });
    try {
      const warnings = await validateForeignKeys(pool, bookkeepingIn("public"), owner, [key("good_fk", "good"), key("bad_fk", "bad")]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^finalization: warning: foreign key "bad_fk" of table "bad" is left NOT VALID: .*bad_fk.*; fix the rows, then run ALTER TABLE public.bad VALIDATE CONSTRAINT "bad_fk"\n$/);
    } finally {
      await pool.end();
    }
    expect(await fx.rows("SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1")).toEqual([
      { conname: "bad_fk", convalidated: false },
      { conname: "good_fk", convalidated: true },
    ]);
    await expect(fx.sql.query("INSERT INTO bad VALUES (3)")).rejects.toThrow(/bad_fk/);
    expect((await store.snapshot()).command.output).toMatch(/^finalization finished\nfinalization: warning: foreign key "bad_fk"/);
  });
});
