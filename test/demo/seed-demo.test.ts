import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPostgresDatabase, type PostgresTestDatabase } from "../helpers/postgres-target.ts";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_SIZES, generateDemoData } from "../../src/demo/demo-data.ts";
import { openDemoDb, type DemoDb } from "../../src/demo/open-demo-db.ts";
import { ForeignTablesError, isDemoSeeded, seedDemo } from "../../src/demo/seed-demo.ts";
import { applyInPlace } from "./apply-in-place.ts";
import { loadDemoMigrations } from "./load-demo-migrations.ts";

const count = async (db: DemoDb, table: string): Promise<number> =>
  Number((await db.query<{ n: number | string }>(`SELECT COUNT(*) AS "n" FROM "${table}"`))[0]!.n);

const columnsOf = async (db: DemoDb, table: string): Promise<string[]> =>
  Object.keys((await db.query(`SELECT * FROM "${table}" LIMIT 1`))[0] ?? {});

/** The same checks on every dialect: seeding, idempotence, then the demo migrations applied in place. */
async function seedAndMigrate(db: DemoDb): Promise<void> {
  expect(await isDemoSeeded(db)).toBe(false);
  const started = performance.now();
  expect(await seedDemo(db)).toBe(true);
  expect(performance.now() - started).toBeLessThan(5000);
  expect(await seedDemo(db)).toBe(false);

  const data = generateDemoData();
  expect(await count(db, "customer")).toBe(DEMO_SIZES.customer);
  expect(await count(db, "product")).toBe(DEMO_SIZES.product);
  expect(await count(db, "order")).toBe(DEMO_SIZES.order);
  expect(await count(db, "order_line")).toBe(data.order_line.length);

  await db.exec("BEGIN");
  for (const { migration } of await loadDemoMigrations()) await applyInPlace(db, migration);
  await db.exec("COMMIT");
  const [first] = await db.query<{ first_name: string; last_name: string; full_name: string }>(`SELECT * FROM "customer" WHERE "id" = 1`);
  expect(first!.full_name).toBe(`${first!.first_name} ${first!.last_name}`);
  expect(await columnsOf(db, "customer")).toEqual(["id", "first_name", "last_name", "email", "created_at", "full_name"]);
  expect(await count(db, "address")).toBe(DEMO_SIZES.customer);
  expect(await columnsOf(db, "address")).toEqual(["id", "customer_id", "street", "city", "postal_code", "country"]);
  expect(await count(db, "loyalty_account")).toBeGreaterThan(DEMO_SIZES.customer / 2);
  expect(await isDemoSeeded(db)).toBe(true);
  expect(await seedDemo(db)).toBe(false);
}

/** A database with one table of someone else's, and one that shares a demo table's name, is refused and left as it was. */
async function refuseForeignTables(db: DemoDb): Promise<void> {
  await db.exec(`CREATE TABLE "order" ("id" INTEGER PRIMARY KEY, "total" INTEGER)`);
  await db.exec(`CREATE TABLE "_migration_state" ("idx" INTEGER PRIMARY KEY)`);
  await db.exec(`INSERT INTO "order" VALUES (1, 100)`);
  expect(await isDemoSeeded(db)).toBe(false);
  const refusal = await seedDemo(db).catch((error: unknown) => error);
  expect(refusal).toBeInstanceOf(ForeignTablesError);
  expect((refusal as ForeignTablesError).tables).toEqual(["order"]);
  expect(await db.tableNames()).toEqual(["_migration_state", "order"]);
  expect(await db.query(`SELECT "id", "total" FROM "order"`)).toEqual([{ id: 1, total: 100 }]);
}

describe("seedDemo on SQLite", () => {
  it("seeds a few thousand rows once, and the demo migrations run on them", async () => {
    const db = await openDemoDb(`sqlite:${join(mkdtempSync(join(tmpdir(), "demo-")), "nested", "demo.db")}`);
    try {
      await seedAndMigrate(db);
    } finally {
      await db.close();
    }
  });

  it("refuses a database with tables of someone else's", async () => {
    const db = await openDemoDb(`sqlite:${join(mkdtempSync(join(tmpdir(), "demo-")), "foreign.db")}`);
    try {
      await refuseForeignTables(db);
    } finally {
      await db.close();
    }
  });

  it("generates the same data on every call", () => {
    expect(generateDemoData()).toEqual(generateDemoData());
    const { customer } = generateDemoData();
    expect(new Set(customer.map((row) => row[3])).size).toBe(customer.length);
  });
});

describe("seedDemo on PostgreSQL", () => {
  let database: PostgresTestDatabase | undefined;
  let foreign: PostgresTestDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
    await foreign?.drop();
  });

  it("refuses a database with tables of someone else's", async () => {
    foreign = await createPostgresDatabase();
    const db = await openDemoDb(foreign.url);
    try {
      await refuseForeignTables(db);
    } finally {
      await db.close();
    }
  });

  it("seeds once, and the demo migrations run on it", async () => {
    database = await createPostgresDatabase();
    const db = await openDemoDb(database.url);
    try {
      await seedAndMigrate(db);
    } finally {
      await db.close();
    }
  });
});
