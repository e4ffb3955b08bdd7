import type { SpotRow } from "./items-data.ts";
import type { StoreName } from "./options.ts";

/** A fresh database holding the generated `items` table, owned by one scenario. */
export interface BenchDatabase {
  /** Which store it is. */
  readonly store: StoreName;
  /** What the service gets as `--database`. */
  readonly serviceUrl: string;
  /** A scratch directory of this database (migrations, password file); removed with it. */
  readonly scratchDir: string;
  /** `SELECT COUNT(*) FROM items`. */
  count(): Promise<number>;
  /**
   * A fingerprint of every row of `items` (count and a hash of all columns); with `changed`, of the rows as
   * they are after the bench's change (name upper-cased, amount doubled), computed from the current rows.
   */
  fingerprint(changed: boolean): Promise<string>;
  /** The rows with these ids. */
  spotRows(ids: readonly number[]): Promise<SpotRow[]>;
  /** Scenario (a): creates `items_copy` like `items`, times `INSERT INTO items_copy SELECT * FROM items` (ms), drops it. */
  timeNativeCopy(): Promise<number>;
  /** Drops the database (or removes its files) and the scratch directory. */
  drop(): Promise<void>;
}

/** Creates fresh bench databases on one store. */
export interface BenchStore {
  /** Which store it is. */
  readonly name: StoreName;
  /** A fresh database whose `items` holds `rows` generated rows. */
  create(rows: number): Promise<BenchDatabase>;
  /** The server / library version, e.g. `PostgreSQL 15.8`. */
  version(): Promise<string>;
}
