import { defineMigration } from "migration-service";

/** Adds `customer.full_name` and fills it row by row with a transform (runs in parallel batches on worker threads). */
export default defineMigration({
  tables: ["customer"],
  async dataDefinition(db) {
    await db.exec(`ALTER TABLE "customer" ADD COLUMN "full_name" TEXT`);
  },
  transform: {
    customer: (row) => ({ ...row, full_name: `${String(row.first_name)} ${String(row.last_name)}` }),
  },
});
