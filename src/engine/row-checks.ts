import type { Row } from "../migrations/types.ts";
import type { TableShape } from "../stores/store.ts";

/**
 * Checks one transform result against the table (CONTRACT §7): `null` deletes the row; an object may
 * only name columns of the table and must keep the primary key (a missing key column keeps its value).
 * Its errors say what the transform did; the caller names the table and the row.
 */
export function checkTransformedRow(shape: TableShape, original: Row, result: unknown): Row | null {
  const columns = columnSetOf(shape);
  const table = shape.table;
  if (result === null) return null;
  if (typeof result !== "object" || Array.isArray(result) || result === undefined) {
    throw new Error(`it must return a row object or null, but returned ${describe(result)}`);
  }
  const row = result as Row;
  for (const key of Object.keys(row)) {
    if (!columns.has(key)) {
      throw new Error(`it returned the key "${key}", which is not a column of table "${table}"`);
    }
  }
  let checked = row;
  for (const key of shape.keyColumns) {
    if (!(key in row)) {
      checked = { ...checked, [key]: original[key] };
    } else if (!sameValue(row[key], original[key])) {
      throw new Error(
        `it changed the primary key column "${key}" from ${describe(original[key])} to ${describe(row[key])}; the primary key must not change`,
      );
    }
  }
  return checked;
}

const columnSets = new WeakMap<TableShape, ReadonlySet<string>>();

/** The shape's columns as a set, made once per shape (a wide table's rows would otherwise scan the column list per key). */
function columnSetOf(shape: TableShape): ReadonlySet<string> {
  let columns = columnSets.get(shape);
  if (columns === undefined) {
    columns = new Set(shape.columns);
    columnSets.set(shape, columns);
  }
  return columns;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  // A bigint and a number of the same integer value name the same key.
  if (typeof a === "bigint" || typeof b === "bigint") return typeof a !== "object" && typeof b !== "object" && String(a) === String(b);
  return Object.is(a, b) || a === b;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" && value !== null ? "an object" : String(value);
}
