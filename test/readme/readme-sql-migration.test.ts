import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { serveFresh } from "../helpers/test-service.ts";
import { fencedBlocks, README } from "./readme-blocks.ts";

/** The README's `.sql` migrations: the one that adds a column and an index, and the one with a `-- tables:` header. */
const [addColumn, dropIndex] = fencedBlocks("sql").map((block) => block.replace(/^ {2}/gm, ""));
/** The README's example of a refused statement's exception (PostgreSQL points at the column). */
const refusedStatement = fencedBlocks("text").find((block) => block.startsWith("  dataDefinition of 0005"))?.replace(/^ {2}/gm, "").trimEnd();

const CUSTOMERS = `CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO customer (id, email) VALUES (1, 'ada@example.org'), (2, 'bob@shop.test');`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

it("the README has the .sql examples", () => {
  expect(addColumn).toContain("ALTER TABLE customer ADD COLUMN email_verified");
  expect(dropIndex).toContain("-- tables: customer");
  expect(refusedStatement).toBeDefined();
  expect(README).toContain("### Plain `.sql` migrations");
});

for (const target of STORE_TARGETS) {
  describe(`the README's .sql migrations on ${target.name}`, () => {
    it("the first adds the column and the index, the second (with its header) drops the index; the rows stay", async () => {
      const { db, service } = await serveFresh(target, CUSTOMERS, {
        "0005_customer_email_verified.sql": addColumn!,
        "0006_drop_customer_email_index.sql": dropIndex!,
      }, cleanups);
      await service.post({ cmd: "migrate" });
      const migrated = await service.settle();
      expect(migrated).toMatchObject({ status: "finalization_required" });
      // Two pending migrations reshape customer, so it is protected while they are pending.
      expect(migrated.writes).toEqual({ customer: expect.objectContaining({ mode: "protected" }) });
      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      const verified = await db.query("SELECT id, email, email_verified FROM customer ORDER BY id");
      expect(verified.map((r) => [r.id, r.email, Boolean(r.email_verified)])).toEqual([
        [1, "ada@example.org", false],
        [2, "bob@shop.test", false],
      ]);
      const indexes = target.name === "sqlite"
        ? await db.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'customer' AND sql IS NOT NULL")
        : await db.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'customer' AND indexname <> 'customer_pkey'");
      expect(indexes).toEqual([]);
    });
  });
}

describe("the README's refused statement", () => {
  it("is what PostgreSQL's migrate says for the first example with a stray comma", async () => {
    const postgres = STORE_TARGETS.find((t) => t.name === "postgres")!;
    const broken = addColumn!.replace("(email_verified)", "(email_verified,)");
    const { service } = await serveFresh(postgres, CUSTOMERS, { "0005_customer_email_verified.sql": broken }, cleanups);
    await service.post({ cmd: "migrate" });
    expect(await service.settle()).toMatchObject({ status: "migration_failed", exception: refusedStatement });
  });
});
