import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS, type StoreTarget } from "../helpers/store-targets.ts";
import { serveFresh } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Enough rows for several key ranges on several threads. */
const ROWS = 8_000;

const SCHEMA: Record<string, string> = {
  sqlite: `CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER NOT NULL CHECK (score >= 0));
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
           INSERT INTO customer (id, name, score) SELECT i, 'c' || i, i % 10 FROM n;`,
  postgres: `CREATE TABLE customer (id integer PRIMARY KEY, name text NOT NULL, score integer NOT NULL CHECK (score >= 0));
             INSERT INTO customer (id, name, score) SELECT i, 'c' || i, i % 10 FROM generate_series(1, ${ROWS}) i;`,
};

/** A migration whose transform does `bad` to the row with id 5555 and leaves the others as they are. */
const migrationDoing = (bad: string) => ({
  "0001_touch.mjs": `export default { tables: ["customer"], transform: { customer: (row) => (row.id === 5555 ? ${bad} : row) } };`,
});

const TRANSFORM_FAILED = 'The transform of table "customer" failed on the row with key (id) = (5555): ';
const ROW_REFUSED = 'Table "customer" refused the row with key (id) = (5555)';

const refusal = (target: StoreTarget, sqlite: string, postgres: string) => (target.name === "postgres" ? postgres : sqlite);

for (const target of STORE_TARGETS) {
  describe(`a transform's failure names the table and the row's key (${target.name})`, () => {
    it.each<[string, string, (target: StoreTarget) => string]>([
      ["it throws", `(() => { throw new Error("cannot score " + row.name); })()`, () => `${TRANSFORM_FAILED}cannot score c5555`],
      ["it returns no row object", `"nothing"`, () => `${TRANSFORM_FAILED}it must return a row object or null, but returned "nothing"`],
      ["it names a column the table lacks", `{ ...row, rank: 1 }`, () => `${TRANSFORM_FAILED}it returned the key "rank", which is not a column of table "customer"`],
      [
        "the database refuses a NULL",
        `{ ...row, name: null }`,
        (t) => `${ROW_REFUSED}: ${refusal(t, "NOT NULL constraint failed: customer.name", 'null value in column "name" of relation "customer" violates not-null constraint')}`,
      ],
      [
        "the database refuses a value its CHECK forbids",
        `{ ...row, score: -1 }`,
        (t) => `${ROW_REFUSED}: ${refusal(t, "CHECK constraint failed: score >= 0", 'new row for relation "customer" violates check constraint "customer_score_check"')}`,
      ],
    ])("%s: migrate fails saying so, and the original is as it was", async (_case, bad, message) => {
      const { db, service } = await serveFresh(target, SCHEMA[target.name]!, migrationDoing(bad), cleanups);
      await service.post({ cmd: "migrate" });
      const failed = await service.settle();
      expect(failed).toMatchObject({
        status: "migration_failed",
        exception: message(target),
      });
      expect(await db.query("SELECT count(*) AS n, sum(score) AS s FROM customer")).toEqual([{ n: target.name === "postgres" ? "8000" : 8000, s: target.name === "postgres" ? "36000" : 36000 }]);
    });

    if (target.name === "postgres") {
      it("a value of the wrong type: the column too", async () => {
        const { service } = await serveFresh(target, SCHEMA.postgres!, migrationDoing(`{ ...row, score: "lots" }`), cleanups);
        await service.post({ cmd: "migrate" });
        expect(await service.settle()).toMatchObject({
          status: "migration_failed",
          exception: `${ROW_REFUSED} (column "score"): invalid input syntax for type integer: "lots"`,
        });
      });
    }
  });
}
