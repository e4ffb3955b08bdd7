import type { AlterStep } from "../../migrations/alter-steps.ts";
import type { ColumnExpressions } from "../../migrations/sql-expression.ts";
import { alterStatement, expressionAssignments, expressionSelect } from "../alter-sql.ts";
import type { Connection } from "./connection.ts";
import { quoteIdent } from "./sql.ts";
import { readShape } from "./table-shape.ts";

/** Applies declared steps to `schema.table`, in order, each naming its statement when it fails. */
export function alterTableIn(db: Connection, schema: string, table: string, steps: readonly AlterStep[]): void {
  for (const step of steps) {
    const statement = alterStatement({ dialect: "sqlite", schema, table }, step);
    try {
      db.exec(statement);
    } catch (error) {
      throw new Error(`${(error as Error).message} (in: ${statement})`, { cause: error });
    }
  }
}

/** INSERT … SELECT from `from.table` into the empty `main.table`, with the expressions in the select list; returns the rows. */
export function fillFrom(db: Connection, from: string, table: string, expressions: ColumnExpressions): number {
  const shadow = readShape(db, "main", table);
  const origin = readShape(db, from, table);
  // A rowid that is not a column keeps its value too: captured changes are replayed by it.
  const keepRowid = shadow.byRowid && shadow.rowidAlias === null;
  const { columns, select } = expressionSelect(shadow.writableColumns, origin.columns, expressions);
  if (keepRowid) {
    columns.unshift("rowid");
    select.unshift("t.rowid");
  }
  if (columns.length === 0) return 0;
  const name = quoteIdent(table);
  return db.prepare(`INSERT INTO main.${name} (${columns.join(", ")}) SELECT ${select.join(", ")} FROM ${from}.${name} t`).run().changes;
}

/** UPDATE of every row of `main.table` with the expressions; returns the rows. */
export function updateAll(db: Connection, table: string, expressions: ColumnExpressions): number {
  return db.prepare(`UPDATE main.${quoteIdent(table)} AS t SET ${expressionAssignments(expressions)}`).run().changes;
}
