import type { AlterStep } from "../../migrations/alter-steps.ts";
import type { ColumnExpressions } from "../../migrations/sql-expression.ts";
import { alterStatement, expressionAssignments, expressionSelect } from "../alter-sql.ts";
import type { PoolClient } from "./pg-pool.ts";
import type { Schemas } from "./shadow-schema.ts";
import { qualify } from "./sql.ts";
import { readShape } from "./table-shape.ts";

/** Applies declared steps to the shadow copy of `table`, in order, each naming its statement when it fails. */
export async function alterShadowTable(client: PoolClient, schemas: Schemas, table: string, steps: readonly AlterStep[]): Promise<void> {
  for (const step of steps) {
    const statement = alterStatement({ dialect: "postgres", schema: schemas.shadow, table }, step);
    await client.query(statement).catch((error: Error) => {
      throw new Error(`${error.message} (in: ${statement})`, { cause: error });
    });
  }
}

/** INSERT … SELECT from the origin into the empty shadow copy, with the expressions in the select list; returns the rows. */
export async function fillShadowFromOrigin(client: PoolClient, schemas: Schemas, table: string, expressions: ColumnExpressions): Promise<number> {
  const shadow = await readShape(client, schemas.shadow, table);
  const origin = await readShape(client, schemas.origin, table);
  const { columns, select } = expressionSelect(shadow.writableColumns, origin.columns, expressions);
  if (columns.length === 0) return 0;
  const { rowCount } = await client.query(
    `INSERT INTO ${qualify(schemas.shadow, table)} (${columns.join(", ")}) OVERRIDING SYSTEM VALUE SELECT ${select.join(", ")} FROM ${qualify(schemas.origin, table)} t`,
  );
  return rowCount ?? 0;
}

/** UPDATE of every row of the shadow copy with the expressions; returns the rows. */
export async function updateShadowTable(client: PoolClient, schemas: Schemas, table: string, expressions: ColumnExpressions): Promise<number> {
  const { rowCount } = await client.query(`UPDATE ${qualify(schemas.shadow, table)} t SET ${expressionAssignments(expressions)}`);
  return rowCount ?? 0;
}
