/** Public authoring API: types and helpers for writing migration files. */
export { defineMigration } from "./migrations/types.ts";
export type { Migration, MigrationDb, Row, RowTransform, TableTransform, Dialect } from "./migrations/types.ts";
export { sql } from "./migrations/sql-expression.ts";
export type { SqlExpression, ColumnExpressions } from "./migrations/sql-expression.ts";
export { addColumn, dropColumn, renameColumn, createIndex, dropIndex } from "./migrations/alter-steps.ts";
export type { AlterStep, AddColumn, DropColumn, RenameColumn, CreateIndex, DropIndex, ColumnDefault } from "./migrations/alter-steps.ts";
