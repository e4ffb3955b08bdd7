import type { Row, RowTransform } from "../migrations/types.ts";
import type { TableShape } from "../stores/store.ts";
import { rowKeyText } from "../stores/row-refusal.ts";
import { errorText } from "./error-text.ts";
import { checkTransformedRow } from "./row-checks.ts";

/**
 * Applies `transform` to each row of a range and checks each result against the table (CONTRACT §7);
 * runs on the worker thread that read the rows. A transform that throws or returns a bad row fails the range, naming the table and the row's key.
 */
export async function transformRows(shape: TableShape, transform: RowTransform, rows: readonly Row[]): Promise<(Row | null)[]> {
  const results: (Row | null)[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const original = rows[i]!;
    let result: unknown;
    try {
      result = transform(original);
      // Awaiting only real promises: a microtask per row is measurable at a million rows.
      if (result instanceof Promise) result = await result;
      results[i] = checkTransformedRow(shape, original, result);
    } catch (error) {
      throw new Error(`The transform of table "${shape.table}" failed${keyOf(shape, original)}: ${errorText(error)}`, { cause: error });
    }
  }
  return results;
}

/**
 * Applies a chain of transforms, each checked as `transformRows` does (a row a step deletes stays
 * deleted): the path a captured row's change takes through the pending migrations. No transform: the rows as they are.
 */
export async function chainRows(shape: TableShape, transforms: readonly RowTransform[], rows: readonly Row[]): Promise<(Row | null)[]> {
  const results: (Row | null)[] = [...rows];
  for (const transform of transforms) {
    const alive = results.flatMap((row, i) => (row === null ? [] : [i]));
    const mapped = await transformRows(shape, transform, alive.map((i) => results[i]!));
    alive.forEach((i, n) => (results[i] = mapped[n]!));
  }
  return results;
}

/** ` on the row with key (id) = (42)`, or nothing for a table keyed by rowid only. */
function keyOf(shape: TableShape, row: Row): string {
  return rowKeyText(shape.keyColumns, shape.keyColumns.map((k) => row[k]));
}
