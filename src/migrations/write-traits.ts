import { columnExpressionsOf, type Migration } from "./types.ts";

/** What a migration does to its tables, as far as keeping them writable while they migrate goes. */
export interface WriteTraits {
  /** The migration's own choice, when it made one. */
  writes?: "capture" | "protect";
  /** Whether it reshapes its tables with `dataDefinition`. */
  dataDefinition: boolean;
  /** Whether it changes rows with set-based SQL in `dataManipulation`. */
  dataManipulation: boolean;
  /** Whether it changes rows with set-based SQL in `cleanup`. */
  cleanup: boolean;
  /** Tables it transforms with SQL expressions, which the database computes set-based, not row by row. */
  sqlTransforms: readonly string[];
}

/** The write traits of a loaded migration object. */
export function writeTraitsOf(migration: Migration): WriteTraits {
  return {
    ...(migration.writes !== undefined && { writes: migration.writes }),
    dataDefinition: migration.dataDefinition !== undefined,
    dataManipulation: migration.dataManipulation !== undefined,
    cleanup: migration.cleanup !== undefined,
    sqlTransforms: Object.keys(migration.transform ?? {}).filter((table) => columnExpressionsOf(migration, table) !== undefined),
  };
}
