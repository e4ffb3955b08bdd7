import { type Migration, type MigrationDb, rowTransformOf } from "../../src/migrations/types.ts";

/**
 * Applies a migration straight to the tables, without shadow copies: enough to prove that a demo
 * migration's SQL and transforms work on a dialect. The real engine is tested elsewhere.
 */
export async function applyInPlace(db: MigrationDb, migration: Migration): Promise<void> {
  const refusal = await migration.checkPrerequisites?.(db);
  if (refusal) throw new Error(`checkPrerequisites refused: ${refusal}`);
  await migration.dataDefinition?.(db);
  for (const table of Object.keys(migration.transform ?? {})) {
    const transform = rowTransformOf(migration, table);
    if (transform === undefined) throw new Error(`the demo migrations transform "${table}" with a row function`);
    for (const row of await db.query(`SELECT * FROM "${table}"`)) {
      const next = await transform(row);
      if (next === null) {
        await db.query(`DELETE FROM "${table}" WHERE "id" = ${db.dialect === "sqlite" ? "?" : "$1"}`, [row.id]);
        continue;
      }
      const columns = Object.keys(next).filter((c) => c !== "id");
      const sets = columns.map((c, i) => `"${c}" = ${db.dialect === "sqlite" ? "?" : `$${i + 1}`}`).join(", ");
      const where = db.dialect === "sqlite" ? "?" : `$${columns.length + 1}`;
      await db.query(`UPDATE "${table}" SET ${sets} WHERE "id" = ${where}`, [...columns.map((c) => next[c]), row.id]);
    }
  }
  await migration.dataManipulation?.(db);
  await migration.cleanup?.(db);
}
