import type { RunCommand } from "./commands.ts";
import { ConflictError } from "./errors.ts";
import { NOTHING_TO_CANCEL, RESET_NOT_CANCELLABLE, SWAP_NOT_CANCELLABLE, failedStateMessage, newerDatabaseMessage, runningMessage } from "./conflict-messages.ts";
import type { CommandRecord } from "./state-store.ts";
import { MigrationState, isFailedState } from "./states.ts";

/** What the command-by-state table (CONTRACT §3) says to do. */
export type CommandDecision =
  | { action: "run"; from: MigrationState }
  | { action: "take-over" }
  | { action: "nothing" };

/** The facts the table needs, read from one snapshot. */
export interface PlanInput {
  /** The service state. */
  status: MigrationState;
  /** True while any command (also reset) holds the run lock. */
  running: boolean;
  /** True when the running command made no progress for longer than the stall timeout. */
  stalled: boolean;
  /** True when the running command is paused (absent: false). */
  paused?: boolean;
  /** Highest finalized index in the database. */
  current: number;
  /** Highest registered index. */
  target: number;
  /** Exception of the failed command, for the failed-state message. */
  exception: string | null;
}

/** Decides a run command per CONTRACT §2-3; throws ConflictError with the exact texts. */
export function planCommand(command: RunCommand, input: PlanInput): CommandDecision {
  // A hung command (a transform in an endless loop, a blocked statement) must not need a process restart;
  // nor may a paused one wait for a resume to be thrown away.
  if (input.running && (input.stalled || input.paused === true) && command === "reset") return { action: "take-over" };
  if (input.running) {
    throw new ConflictError(runningMessage(input.status === MigrationState.FINALIZATION_RUNNING));
  }
  if (input.current > input.target) {
    throw new ConflictError(newerDatabaseMessage(input.current, input.target));
  }
  if (isFailedState(input.status)) {
    if (command === "reset") return { action: "run", from: input.status };
    throw new ConflictError(failedStateMessage(command, input.exception ?? "unknown error"));
  }
  switch (input.status) {
    case MigrationState.MIGRATION_REQUIRED:
      return { action: "run", from: input.status };
    case MigrationState.FINALIZATION_REQUIRED:
      return command === "migrate" ? { action: "nothing" } : { action: "run", from: input.status };
    default:
      return { action: "nothing" };
  }
}

/** The facts of the command row that `cancel` decides on. */
export type CancelInput = Pick<CommandRecord, "command" | "running" | "owner" | "swapping">;

/**
 * Decides `cancel` on the command row: the lease of the running migrate or finalize to record the request
 * for; throws ConflictError when nothing runs, when a reset runs (it is short and only throws work away),
 * and once a finalize's swap transaction runs (it is not interrupted).
 */
export function planCancel(input: CancelInput): { action: "cancel"; owner: string } {
  if (!input.running || input.owner === null) throw new ConflictError(NOTHING_TO_CANCEL);
  if (input.command === "reset") throw new ConflictError(RESET_NOT_CANCELLABLE);
  if (input.swapping) throw new ConflictError(SWAP_NOT_CANCELLABLE);
  return { action: "cancel", owner: input.owner };
}
