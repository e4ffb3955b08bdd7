import type { SpotRow } from "./items-data.ts";
import type { StoreName } from "./options.ts";
import type { ReferenceKind } from "./references.ts";
import type { TableShape } from "./table-shapes.ts";

/** A fresh database holding the generated `items` table, owned by one scenario. */
export interface BenchDatabase {
  /** Which store it is. */
  readonly store: StoreName;
  /** What the service gets as `--database`. */
  readonly serviceUrl: string;
  /** A scratch directory of this database (migrations, password file); removed with it. */
  readonly scratchDir: string;
  /** The migrated tables of its shape (`items`, or `items_01` … for the `tables` shape). */
  readonly tables: readonly string[];
  /** The rows of all its tables. */
  count(): Promise<number>;
  /**
   * A fingerprint of every row of `table` (default: each of `tables`): its columns, count and a hash of all columns;
   * with `changed`, of the rows as they are after the bench's change (name upper-cased, amount doubled),
   * computed from the current rows.
   */
  fingerprint(changed: boolean, table?: string): Promise<string>;
  /** The rows with these ids, of the first of `tables`. */
  spotRows(ids: readonly number[]): Promise<SpotRow[]>;
  /**
   * Times one reference on this database, in ms: builds its own target table next to `items`, checks
   * that it holds exactly what it must (a fingerprint of all rows), drops it.
   */
  timeReference(kind: ReferenceKind): Promise<number>;
  /** Leaves nothing for the next measurement to pay for (PostgreSQL: VACUUM ANALYZE, CHECKPOINT; SQLite: a WAL checkpoint). */
  settle(): Promise<void>;
  /** Drops the database (or removes its files) and the scratch directory. */
  drop(): Promise<void>;
}

/** Creates fresh bench databases on one store. */
export interface BenchStore {
  /** Which store it is. */
  readonly name: StoreName;
  /** A fresh database whose `items` holds `rows` generated rows, in the given shape (default plain). */
  create(rows: number, shape?: TableShape): Promise<BenchDatabase>;
  /** The server / library version, e.g. `PostgreSQL 15.8`. */
  version(): Promise<string>;
}
