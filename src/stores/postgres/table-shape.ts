import type { TableShape } from "../store.ts";
import type { PoolClient } from "./pg-pool.ts";

/** PostgreSQL's view of a table's shape: the common shape plus the SQL types of its key columns. */
export interface PgShape extends TableShape {
  /** The schema the table is in. */
  schema: string;
  /** `format_type` of each key column, parallel to `keyColumns`, for casting key parameters. */
  keyTypes: string[];
}

interface ColumnRow {
  attname: string;
  generated: boolean;
  key_position: number | null;
  type: string;
}

/** Reads columns, writable columns and primary key of `schema.table`; throws when the table does not exist. */
export async function readShape(client: PoolClient, schema: string, table: string): Promise<PgShape> {
  const { rows } = await client.query<ColumnRow>(
    `SELECT a.attname, a.attgenerated <> '' AS generated, format_type(a.atttypid, a.atttypmod) AS type,
            array_position(i.indkey::int2[], a.attnum) AS key_position
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [schema, table],
  );
  if (rows.length === 0) throw new Error(`Table "${table}" does not exist`);
  const keys = rows.filter((r) => r.key_position !== null).sort((a, b) => a.key_position! - b.key_position!);
  return {
    table,
    schema,
    columns: rows.map((r) => r.attname),
    writableColumns: rows.filter((r) => !r.generated).map((r) => r.attname),
    keyColumns: keys.map((r) => r.attname),
    keyTypes: keys.map((r) => r.type),
  };
}

/** The visible columns of `schema.table` with their `format_type`, in table order (none when it does not exist). */
export async function columnTypes(client: PoolClient, schema: string, table: string): Promise<{ name: string; type: string }[]> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema, table],
  );
  return rows;
}
