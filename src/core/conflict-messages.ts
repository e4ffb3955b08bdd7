import type { RunCommand } from "./commands.ts";

/** `Migration is running, only 'stats' command is allowed.` (or the finalization form). */
export function runningMessage(finalizing: boolean): string {
  return `${finalizing ? "Finalization" : "Migration"} is running, only 'stats' command is allowed.`;
}

/** The 400 text for migrate/finalize in a failed state (CONTRACT §3). */
export function failedStateMessage(command: RunCommand, exception: string): string {
  return `Migration in a failed state. Reset before trying to ${command} again. Failed on: ${exception}`;
}

/** The 400 text when the database was migrated by a newer release (CONTRACT §2). */
export function newerDatabaseMessage(current: number, target: number): string {
  return `The database has a higher migration index (${current}) than the registered migrations (${target})`;
}

/** The 400 text of `pause` / `resume` while no migrate or finalize runs. */
export function nothingToThrottleMessage(command: "pause" | "resume"): string {
  return `No migrate or finalize is running: there is nothing to ${command}.`;
}

/** The 400 text of `cancel` while no command runs. */
export const NOTHING_TO_CANCEL = "No command is running; there is nothing to cancel.";

/** The 400 text of `cancel` while a reset runs: it only drops the shadow work and ends by itself. */
export const RESET_NOT_CANCELLABLE = "The running reset cannot be cancelled: it only drops the shadow work and ends by itself in moments.";

/** The 400 text of `cancel` once a finalize's swap transaction runs. */
export const SWAP_NOT_CANCELLABLE = "finalize is swapping; it cannot be cancelled now.";
