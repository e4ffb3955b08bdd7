import { defineMigration } from "migration-service";

/** Creates `loyalty_account`: one point per whole euro a customer spent on orders that were not cancelled. */
export default defineMigration({
  tables: ["loyalty_account"],
  async dataDefinition(db) {
    await db.exec(`CREATE TABLE "loyalty_account" ("customer_id" INTEGER PRIMARY KEY, "points" INTEGER NOT NULL,
      "tier" TEXT NOT NULL)`);
  },
  async dataManipulation(db) {
    // "order" and "order_line" are not in `tables`, so these names read the origin tables.
    await db.exec(`INSERT INTO "loyalty_account" ("customer_id", "points", "tier")
      SELECT "customer_id", "points",
             CASE WHEN "points" >= 500 THEN 'gold' WHEN "points" >= 200 THEN 'silver' ELSE 'bronze' END
      FROM (SELECT o."customer_id" AS "customer_id",
                   CAST(SUM(l."quantity" * l."unit_price_cents") / 100 AS INTEGER) AS "points"
            FROM "order" o JOIN "order_line" l ON l."order_id" = o."id"
            WHERE o."status" <> 'cancelled'
            GROUP BY o."customer_id") AS "spent"`);
  },
});
