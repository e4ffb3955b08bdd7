import type { SurveyedMigration, SurveyedTable } from "../core/plan.ts";
import { tableRoute, touchedTables } from "../migrations/table-route.ts";
import type { LoadedMigration } from "../migrations/types.ts";
import type { Store } from "../stores/store.ts";
import { errorText } from "./error-text.ts";

/**
 * What `plan` needs of the pending migrations (`loaded`, in index order), changing nothing: per migration,
 * in a read-only transaction of the origin that is rolled back, the rows of each table it touches now,
 * the route migrate takes for it, and its checkPrerequisites answer. A table an earlier pending migration
 * creates counts as existing for the later ones, and one it copies moves no rows again unless transformed;
 * every answer is of the data as it is now.
 */
export async function surveyMigrations(store: Store, loaded: readonly LoadedMigration[]): Promise<SurveyedMigration[]> {
  const created = new Set<string>();
  const shadowed = new Set<string>();
  const surveyed: SurveyedMigration[] = [];
  for (const { index, name, migration } of loaded) {
    surveyed.push(await store.readOrigin(async (origin) => {
      const tables: SurveyedTable[] = [];
      for (const table of touchedTables(migration)) {
        const exists = await origin.hasTable(table);
        const route = tableRoute(migration, table, exists || created.has(table));
        if (route === "create") created.add(table);
        const moves = route === "transform" || route === "sql" || (route === "copy" && !shadowed.has(table));
        tables.push({ table, rows: exists ? await origin.countRows(table) : 0, route, moves });
      }
      for (const table of migration.tables) shadowed.add(table);
      return { index, name, tables, prerequisites: await prerequisitesOf(() => migration.checkPrerequisites?.(origin.db)) };
    }));
  }
  return surveyed;
}

/** The refusal text of a check ("" when it lets the migration run); a check that throws refuses with its error. */
async function prerequisitesOf(check: () => unknown): Promise<string> {
  try {
    const answer = await check();
    return typeof answer === "string" ? answer : "";
  } catch (error) {
    return `checkPrerequisites failed: ${errorText(error)}`;
  }
}
