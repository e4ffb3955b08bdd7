import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
/** The README's migration written for both dialects: the `ts` block that branches on `db.dialect`. */
const dualDialect = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((block) => block.includes("db.dialect ==="));

const CUSTOMERS = `CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO customer (id, email) VALUES (1, 'ada@Example.org'), (2, 'bob@shop.test');`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(db: TestDatabase, dir: string): Promise<TestService> {
  const service = await startTestService(db, dir);
  cleanups.push(() => service.close());
  return service;
}

it("the README has a migration written for both dialects", () => {
  expect(dualDialect).toBeDefined();
});

for (const target of STORE_TARGETS) {
  describe(`the README's two-dialect migration on ${target.name}`, () => {
    it("refuses bad data with its prerequisite, then finalizes and fills the new column", async () => {
      const db = await target.create();
      const dir = writeMigrations({ "0004_add_customer_email_domain.ts": dualDialect! });
      cleanups.push(async () => {
        await db.drop();
        removeDir(dir);
      });
      await db.exec(`${CUSTOMERS} INSERT INTO customer (id, email) VALUES (3, 'no-at-sign');`);
      const service = await serve(db, dir);
      await service.post({ cmd: "migrate" });
      expect(await service.settle()).toMatchObject({ status: "migration_failed", exception: "1 customers have an email without @" });

      await db.exec("DELETE FROM customer WHERE id = 3");
      await service.post({ cmd: "reset" });
      await service.settle();
      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await db.query("SELECT id, email_domain FROM customer ORDER BY id")).toEqual([
        { id: 1, email_domain: "example.org" },
        { id: 2, email_domain: "shop.test" },
      ]);
    });
  });
}
