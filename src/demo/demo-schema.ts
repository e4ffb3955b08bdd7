/** One demo table: its quoted name, its columns in insert order, and the DDL that creates it. */
export interface DemoTable {
  /** Plain table name, as migrations name it in `tables`. */
  readonly name: string;
  /** Column names in the order the generator fills them. */
  readonly columns: readonly string[];
  /** Portable DDL (SQLite and PostgreSQL): the table and its indexes. */
  readonly ddl: readonly string[];
}

/**
 * The demo shop: customers with their address inline (migration 0002 splits it out), products,
 * orders and order lines. No foreign-key constraints, so the engine may swap any table on its own.
 */
export const DEMO_TABLES: readonly DemoTable[] = [
  {
    name: "customer",
    columns: ["id", "first_name", "last_name", "email", "street", "city", "postal_code", "country", "created_at"],
    ddl: [
      `CREATE TABLE "customer" ("id" INTEGER PRIMARY KEY, "first_name" TEXT NOT NULL, "last_name" TEXT NOT NULL,
        "email" TEXT NOT NULL, "street" TEXT NOT NULL, "city" TEXT NOT NULL, "postal_code" TEXT NOT NULL,
        "country" TEXT NOT NULL, "created_at" TEXT NOT NULL)`,
      `CREATE INDEX "customer_last_name_idx" ON "customer" ("last_name")`,
    ],
  },
  {
    name: "product",
    columns: ["id", "name", "category", "price_cents"],
    ddl: [
      `CREATE TABLE "product" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "category" TEXT NOT NULL,
        "price_cents" INTEGER NOT NULL)`,
    ],
  },
  {
    name: "order",
    columns: ["id", "customer_id", "ordered_at", "status"],
    ddl: [
      `CREATE TABLE "order" ("id" INTEGER PRIMARY KEY, "customer_id" INTEGER NOT NULL, "ordered_at" TEXT NOT NULL,
        "status" TEXT NOT NULL)`,
      `CREATE INDEX "order_customer_id_idx" ON "order" ("customer_id")`,
    ],
  },
  {
    name: "order_line",
    columns: ["id", "order_id", "product_id", "quantity", "unit_price_cents"],
    ddl: [
      `CREATE TABLE "order_line" ("id" INTEGER PRIMARY KEY, "order_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL,
        "quantity" INTEGER NOT NULL, "unit_price_cents" INTEGER NOT NULL)`,
      `CREATE INDEX "order_line_order_id_idx" ON "order_line" ("order_id")`,
    ],
  },
];
