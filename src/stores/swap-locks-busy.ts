/**
 * A finalize swap that could not get its locks in time because another transaction held them: nothing was
 * changed (the shadow copies, the change capture and the write protection are as before), so the same
 * `finalize` may simply be run again. The message says which lock and, where the store can tell, who holds it.
 */
export class SwapLocksBusyError extends Error {
  override readonly name = "SwapLocksBusyError";
}

/** The end of every SwapLocksBusyError message: what stays, and what the operator does next. */
export const RETRY_FINALIZE_HINT =
  "nothing was changed, the shadow copies and captured changes are kept and the state stays finalization_required: run finalize again when that transaction has ended";
