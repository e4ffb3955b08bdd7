import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { serveFresh } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const CUSTOMERS = 3_000;

const SCHEMA = `CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO customer (id, name) VALUES ${Array.from({ length: CUSTOMERS }, (_, i) => `(${i + 1}, 'c${i + 1}')`).join(", ")};`;

/** Two migrations transform "customer"; the second also creates "address" and fills it by SQL, one row per customer. */
const MIGRATIONS = {
  "0001_score.mjs": `export default { tables: ["customer"],
    dataDefinition: (db) => db.exec("ALTER TABLE customer ADD COLUMN score INTEGER"),
    transform: { customer: (row) => ({ ...row, score: row.id * 2 }) } };`,
  "0002_address.mjs": `export default { tables: ["customer", "address"],
    dataDefinition: (db) => db.exec("CREATE TABLE address (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL)"),
    transform: { customer: (row) => ({ ...row, score: row.score + 1 }) },
    dataManipulation: (db) => db.exec("INSERT INTO address (id, customer_id) SELECT id, id FROM customer") };`,
};

interface Progress {
  status: string;
  migratable_models: { count: number; migrated: number };
  tables: Record<string, { count: number; migrated: number }>;
}

for (const target of STORE_TARGETS) {
  describe(`progress adds up (${target.name})`, () => {
    it("a table two migrations transform counts its rows once, a table SQL fills the rows it received; every sample adds up and never goes back", async () => {
      const { service } = await serveFresh(target, SCHEMA, MIGRATIONS, cleanups);
      const before = (await service.post({ cmd: "stats" })).body.stats as unknown as Progress;
      expect(before.migratable_models).toEqual({ count: CUSTOMERS, migrated: 0 });

      expect((await service.post({ cmd: "migrate" })).status).toBe(200);
      const samples: Progress[] = [];
      const deadline = Date.now() + 60_000;
      for (;;) {
        const stats = (await service.post({ cmd: "stats" })).body.stats as unknown as Progress;
        samples.push(stats);
        if (!stats.status.endsWith("_running")) break;
        if (Date.now() > deadline) throw new Error(`still running after 60 s: ${JSON.stringify(stats)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const last = samples.at(-1)!;
      expect(last).toMatchObject({
        status: "finalization_required",
        migratable_models: { count: 2 * CUSTOMERS, migrated: 2 * CUSTOMERS },
        tables: { customer: { count: CUSTOMERS, migrated: CUSTOMERS }, address: { count: CUSTOMERS, migrated: CUSTOMERS } },
      });
      let previous = { count: 0, migrated: 0 };
      for (const sample of samples) {
        const { count, migrated } = sample.migratable_models;
        expect(migrated).toBeLessThanOrEqual(count);
        expect(migrated).toBeGreaterThanOrEqual(previous.migrated);
        expect(count).toBeGreaterThanOrEqual(previous.count);
        const parts = Object.values(sample.tables);
        // Between the claim and the run's first count the run has no per-table parts yet.
        if (parts.length > 0) {
          expect(parts.reduce((sum, t) => sum + t.count, 0)).toBe(count);
          expect(parts.reduce((sum, t) => sum + t.migrated, 0)).toBe(migrated);
        }
        previous = { count, migrated };
      }
    });
  });
}
