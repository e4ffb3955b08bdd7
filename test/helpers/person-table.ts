import type { StoreTarget } from "./store-targets.ts";

/** SQL that creates `person (id, first_name, last_name)` with `rows` rows ('Ann1', 'O''Neil', …) on the target's dialect. */
export function personTable(target: StoreTarget, rows: number): string {
  return target.name === "sqlite"
    ? `CREATE TABLE person (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL);
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
       INSERT INTO person (id, first_name, last_name) SELECT i, 'Ann' || i, 'O''Neil' FROM n;`
    : `CREATE TABLE person (id integer PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL);
       INSERT INTO person (id, first_name, last_name) SELECT i, 'Ann' || i, 'O''Neil' FROM generate_series(1, ${rows}) i;`;
}
