import { planCancel } from "./command-plan.ts";
import { NOTHING_TO_CANCEL } from "./conflict-messages.ts";
import { ConflictError } from "./errors.ts";
import type { StateStore } from "./state-store.ts";

/** Longest `by` a cancel accepts, in characters. */
export const MAX_CANCEL_BY = 200;

/** How often a cancel re-reads the command row when the command it read ended or entered its swap meanwhile. */
const ATTEMPTS = 3;

/** The exception of a cancelled command. */
export function cancelledText(by: string): string {
  return `cancelled by ${by}`;
}

/**
 * `cancel`: records `by` in the command row of the running migrate or finalize, whichever replica runs it;
 * its engine reads the row between key ranges and at each step, and stops there. Throws ConflictError when
 * nothing runs, a reset runs, or a finalize is swapping (planCancel's texts).
 */
export async function requestCancel(store: StateStore, by: string): Promise<void> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const { command } = await store.snapshot();
    const { owner } = planCancel(command);
    // Conditioned on the lease read and on no swap: the next read says which of the two changed.
    if (await store.requestCancel(owner, by)) return;
  }
  throw new ConflictError(NOTHING_TO_CANCEL);
}
