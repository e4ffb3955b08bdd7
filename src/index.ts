/** Public authoring API: types and helper for writing migration files. */
export { defineMigration } from "./migrations/types.ts";
export type { Migration, MigrationDb, Row, RowTransform, Dialect } from "./migrations/types.ts";
