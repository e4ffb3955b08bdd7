import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TABLE } from "./items-data.ts";

/** The migrations the scenarios run: (b) row-by-row SQL, (c) a plain copy, (d) a transform. */
export type BenchMigration = "row-by-row" | "copy" | "transform";

const SOURCES: Record<BenchMigration, string> = {
  // (b) What users write today: read every row, update each one from JS.
  "row-by-row": `export default {
  tables: ["${TABLE}"],
  async dataManipulation(db) {
    const update = db.dialect === "postgres"
      ? "UPDATE ${TABLE} SET name = upper(name), amount = amount * 2 WHERE id = $1"
      : "UPDATE ${TABLE} SET name = upper(name), amount = amount * 2 WHERE id = ?";
    const rows = await db.query("SELECT id, name, amount FROM ${TABLE}");
    for (const row of rows) await db.query(update, [row.id]);
  },
};
`,
  // (c) The table through the shadow copy and nothing else.
  copy: `export default { tables: ["${TABLE}"] };
`,
  // (d) Two columns changed by a transform; numeric arrives as a string on PostgreSQL, REAL as a number on SQLite.
  transform: `const double = (amount) =>
  typeof amount === "string" ? (Number(amount) * 2).toFixed(2) : typeof amount === "number" ? amount * 2 : amount;
export default {
  tables: ["${TABLE}"],
  transform: {
    ${TABLE}: (row) => ({ ...row, name: String(row.name).toUpperCase(), amount: double(row.amount) }),
  },
};
`,
};

/** Writes a migrations directory under `scratchDir` holding only `0001_bench_<kind>.mjs`; returns the directory. */
export async function writeMigration(scratchDir: string, kind: BenchMigration): Promise<string> {
  const dir = join(scratchDir, "migrations");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `0001_bench_${kind.replace(/-/g, "_")}.mjs`), SOURCES[kind]);
  return dir;
}
