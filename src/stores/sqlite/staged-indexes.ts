import type { Connection } from "./connection.ts";
import { renameCreateIndex } from "./index-sql.ts";
import { type IndexRename, renameIndexes } from "./index-renames.ts";
import { quoteIdent } from "./sql.ts";
import { RETIRED_PREFIX, STAGED_PREFIX } from "./staged-copy.ts";
import { schemaHasTable } from "./shadow-file.ts";

interface StoredIndex {
  name: string;
  sql: string;
}

/** The explicit indexes (those with a statement; autoindexes belong to the table's definition) of `schema.table`. */
function explicitIndexes(db: Connection, schema: string, table: string): StoredIndex[] {
  return db
    .prepare(`SELECT name, sql FROM ${schema}.sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`)
    .all(table) as StoredIndex[];
}

/**
 * Before the swap, in the caller's write transaction: creates each explicit index of `shadow.table` on its
 * staged copy while the copy is still empty, under the staged prefix (index names are global in a schema, and
 * the original's indexes hold the real ones). The staging's chunks then keep the indexes up to date, each
 * holding the lock a few ms, where one CREATE INDEX on the filled copy would hold it for the whole sorted
 * build (0.5–2 s for a million rows here). An index whose stored statement cannot be renamed is left for the swap to build.
 */
export function createStagedIndexes(db: Connection, table: string): void {
  for (const { name, sql } of explicitIndexes(db, "shadow", table)) {
    const staged = renameCreateIndex(sql, `${STAGED_PREFIX}${name}`, `${STAGED_PREFIX}${table}`);
    if (staged !== null) db.exec(staged);
  }
}

/**
 * Inside the swap, after the table renames: moves the explicit indexes of each retired table aside (to be
 * dropped with it after the commit) and gives the staged indexes of each swapped-in table their own names
 * and statements, all in one edit of the schema; then builds the indexes the staging left (see
 * createStagedIndexes) and clears the planner statistics of the retired indexes, as DROP INDEX would.
 */
export function swapIndexNames(db: Connection, retired: readonly string[], swapped: readonly string[]): void {
  const renames: IndexRename[] = [];
  const leftBehind: string[] = [];
  const statistics: string[] = [];
  for (const table of retired) {
    for (const { name, sql } of explicitIndexes(db, "main", `${RETIRED_PREFIX}${table}`)) {
      const aside = renameCreateIndex(sql, `${RETIRED_PREFIX}${name}`);
      if (aside === null) db.exec(`DROP INDEX main.${quoteIdent(name)}`);
      else renames.push({ from: name, to: `${RETIRED_PREFIX}${name}`, sql: aside });
      statistics.push(name);
    }
  }
  for (const table of swapped) {
    const staged = new Set(explicitIndexes(db, "main", table).map((i) => i.name));
    for (const { name, sql } of explicitIndexes(db, "shadow", table)) {
      if (staged.has(`${STAGED_PREFIX}${name}`)) renames.push({ from: `${STAGED_PREFIX}${name}`, to: name, sql });
      else leftBehind.push(sql);
    }
  }
  renameIndexes(db, renames);
  for (const sql of leftBehind) db.exec(sql);
  for (const stat of ["sqlite_stat1", "sqlite_stat4"].filter((t) => schemaHasTable(db, "main", t))) {
    const clear = db.prepare(`DELETE FROM main.${stat} WHERE idx = ?`);
    for (const name of statistics) clear.run(name);
  }
}
