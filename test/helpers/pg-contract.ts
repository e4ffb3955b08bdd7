/**
 * What the README promises an operator about the PostgreSQL store, as numbers the tests hold it to
 * (written out here rather than imported, so a silent change in the store fails a test).
 */

/** SQLSTATE of a write rejected by the write protection. */
export const PROTECTION_SQLSTATE = "MS001";

/** `lock_timeout` of one finalize attempt, in ms: the longest other sessions may queue behind it. */
export const FINALIZE_LOCK_TIMEOUT_MS = 200;

/** Connections one idle service keeps open at most. */
export const IDLE_POOL_MAX = 5;
