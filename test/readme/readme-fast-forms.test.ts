import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations } from "../helpers/test-service.ts";

const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
/** The README's example of the three forms: the `ts` block that declares `alter`. */
const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((block) => block.includes("alter: {"));

const SCHEMA = `CREATE TABLE customer (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE invoice (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
INSERT INTO customer (id, first_name, last_name) VALUES (1, 'Ada', 'Lovelace'), (2, 'Alan', 'Turing');
INSERT INTO orders (id, note) VALUES (1, '  gift wrap  '), (2, 'none');
INSERT INTO invoice (id, amount) VALUES (1, 100), (2, 250);`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

it("the README shows the SQL-expression, JS and in-place forms in one example", () => {
  expect(example).toContain('from "migration-service"');
});

for (const target of STORE_TARGETS) {
  describe(`the README's three-forms example on ${target.name}`, () => {
    it("finalizes: SQL fills the new column, JS trims, the in-place table gains its column and index", async () => {
      const db = await target.create();
      await db.exec(SCHEMA);
      // Verbatim: `migration-service` resolves to the service's own modules, in-process and on its threads.
      const dir = writeMigrations({ "0001_fast_forms.ts": example! });
      const service = await startTestService(db, dir);
      cleanups.push(async () => {
        await service.close();
        await db.drop();
        removeDir(dir);
      });
      await service.post({ cmd: "finalize" });
      expect(await service.settle()).toMatchObject({ status: "finalized" });
      expect(await db.query("SELECT id, full_name FROM customer ORDER BY id")).toEqual([{ id: 1, full_name: "Ada Lovelace" }, { id: 2, full_name: "Alan Turing" }]);
      expect(await db.query("SELECT note FROM orders ORDER BY id")).toEqual([{ note: "gift wrap" }, { note: "none" }]);
      const paid = await db.query("SELECT paid FROM invoice ORDER BY id");
      expect(paid.map((r) => Boolean(r.paid))).toEqual([false, false]);
    });
  });
}
