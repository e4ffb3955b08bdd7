/** Name of the protection function and of every protection trigger, in the origin schema. */
export const PROTECT_NAME = "_migration_protect";
/** Name of the capture function and of the row trigger that calls it, in the origin schema. */
export const CAPTURE_NAME = "_migration_capture";
/** Name of the statement trigger that refuses TRUNCATE on a captured table (no row trigger sees it). */
export const CAPTURE_TRUNCATE_NAME = "_migration_capture_truncate";
/** Our triggers on origin tables: protection, capture, and the TRUNCATE refusal of a captured table. */
export const GUARD_TRIGGERS = [PROTECT_NAME, CAPTURE_NAME, CAPTURE_TRUNCATE_NAME] as const;
/** The change log: one row per changed key of a captured table, in commit-independent sequence order. */
export const CHANGES_TABLE = "_migration_changes";
/** Changes replayed per table since its capture began. */
export const REPLAYED_TABLE = "_migration_replayed";
