import type { ThrottleCommand } from "./commands.ts";
import { nothingToThrottleMessage } from "./conflict-messages.ts";
import { ConflictError } from "./errors.ts";
import type { ThrottleState } from "./results.ts";
import type { CommandRecord, StateStore, ThrottleChange } from "./state-store.ts";

/** The largest rows-per-second limit (the proto's uint32); 0 means no limit. */
export const MAX_ROWS_PER_SECOND = 4_294_967_295;

/** How often a throttle change re-reads the command row when the command it read ended meanwhile. */
const ATTEMPTS = 3;

/**
 * `pause` / `resume` (with an optional new limit): written to the command row of the running migrate or
 * finalize, whichever replica runs it; its engine reads the row between key ranges. Throws ConflictError
 * when none runs. Pausing a paused command, or resuming a running one, changes nothing and is no error.
 */
export async function changeThrottle(store: StateStore, command: ThrottleCommand, maxRowsPerSecond?: number): Promise<void> {
  const change: ThrottleChange = { paused: command === "pause", ...(maxRowsPerSecond !== undefined && { maxRowsPerSecond }) };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const { command: record } = await store.snapshot();
    if (throttleOf(record) === null || record.owner === null) break;
    // Conditioned on the lease read: a command that ended in between is not changed (its successor is read next).
    if (await store.setThrottle(record.owner, change)) return;
  }
  throw new ConflictError(nothingToThrottleMessage(command));
}

/** The throttle of the command row while a migrate or finalize runs, else null. */
export function throttleOf(record: CommandRecord): ThrottleState | null {
  if (!record.running || (record.command !== "migrate" && record.command !== "finalize")) return null;
  return { paused: record.paused, maxRowsPerSecond: record.maxRowsPerSecond };
}

/** `{ throttle }` for stats while a migrate or finalize runs, else nothing. */
export function throttleIn(record: CommandRecord): { throttle?: ThrottleState } {
  const throttle = throttleOf(record);
  return throttle === null ? {} : { throttle };
}
