import { defineMigration } from "migration-service";

const ADDRESS_COLUMNS = ["street", "city", "postal_code", "country"] as const;

/** Splits the address out of `customer` into a new `address` table (one row per customer), then drops the old columns. */
export default defineMigration({
  tables: ["customer", "address"],
  async checkPrerequisites(db) {
    const [row] = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS "n" FROM "customer" WHERE "city" = ''`);
    return Number(row?.n ?? 0) > 0 ? `${String(row?.n)} customers have an empty city; fix them before splitting the address` : "";
  },
  async dataDefinition(db) {
    await db.exec(`CREATE TABLE "address" ("id" INTEGER PRIMARY KEY, "customer_id" INTEGER NOT NULL,
      "street" TEXT NOT NULL, "city" TEXT NOT NULL, "postal_code" TEXT NOT NULL, "country" TEXT NOT NULL)`);
    await db.exec(`CREATE INDEX "address_customer_id_idx" ON "address" ("customer_id")`);
  },
  async dataManipulation(db) {
    const columns = ADDRESS_COLUMNS.map((c) => `"${c}"`).join(", ");
    await db.exec(`INSERT INTO "address" ("id", "customer_id", ${columns}) SELECT "id", "id", ${columns} FROM "customer"`);
    // Dropping the columns after the copy keeps the data until it is safe in "address" (SQLite >= 3.35).
    for (const column of ADDRESS_COLUMNS) await db.exec(`ALTER TABLE "customer" DROP COLUMN "${column}"`);
    if (db.verbose) db.log(`address: ${ADDRESS_COLUMNS.length} columns moved out of customer`);
  },
});
