import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TABLE } from "./items-data.ts";

/** The migrations the scenarios run: (b) row-by-row SQL, (c) a plain copy, (d) a transform, (s) the same change in SQL, (k) a column added in place. */
export type BenchMigration = "row-by-row" | "copy" | "transform" | "sql-transform" | "add-column";

/** A migration of the bench: its file's text (for the tables it lists), and whether it changes the rows (name upper-cased, amount doubled). */
interface MigrationDefinition {
  source(tables: readonly string[]): string;
  changesRows: boolean;
  /** The column it adds in place, without a copy (its rows are not moved). */
  addsColumn?: string;
}

// The migration file imports the (d) transform from the bench itself (the service loads .ts through tsx).
const TRANSFORM_MODULE = pathToFileURL(join(import.meta.dirname, "item-transform.ts")).href;

const MIGRATIONS: Record<BenchMigration, MigrationDefinition> = {
  // (b) What users write today: read every row, update each one from JS.
  "row-by-row": {
    changesRows: true,
    source: () => `export default {
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
  },
  // (c) The table through the shadow copy and nothing else.
  copy: { changesRows: false, source: () => `export default { tables: ["${TABLE}"] };\n` },
  // (d) Two columns changed by a transform: the same function the hand-written pipelines call (on each table listed).
  transform: {
    changesRows: true,
    source: (tables) => `import { transformItem } from ${JSON.stringify(TRANSFORM_MODULE)};
export default { tables: ${JSON.stringify(tables)}, transform: { ${tables.map((table) => `${table}: transformItem`).join(", ")} } };
`,
  },
  // (s) The (d) change as SQL expressions, computed inside the database's own copy.
  "sql-transform": {
    changesRows: true,
    source: () => `export default { tables: ["${TABLE}"], transform: { ${TABLE}: { name: { sql: "upper(name)" }, amount: { sql: "amount * 2" } } } };
`,
  },
  // (k) A column with a constant default, declared in place: no copy, applied at finalize.
  "add-column": {
    changesRows: false,
    addsColumn: "flag",
    source: () => `export default { tables: [], alter: { ${TABLE}: [{ addColumn: { name: "flag", type: "boolean", default: false, notNull: true } }] } };
`,
  },
};

/** The column `kind` adds in place (its rows are not moved), if it adds one. */
export function addedColumn(kind: BenchMigration): string | undefined {
  return MIGRATIONS[kind].addsColumn;
}

/** Whether `kind` changes the rows (name upper-cased, amount doubled) or leaves them as they were. */
export function changesRows(kind: BenchMigration): boolean {
  return MIGRATIONS[kind].changesRows;
}

/** Writes a migrations directory under `scratchDir` holding only `0001_bench_<kind>.mjs` (on `tables`, where it takes a list); returns the directory. */
export async function writeMigration(scratchDir: string, kind: BenchMigration, tables: readonly string[] = [TABLE]): Promise<string> {
  const dir = join(scratchDir, "migrations");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `0001_bench_${kind.replace(/-/g, "_")}.mjs`), MIGRATIONS[kind].source(tables));
  return dir;
}
