import { LeaseLostError } from "../stores/lease-lost.ts";
import type { CommandContext } from "./types.ts";

/** Stops the run (LeaseLostError) when its lease on the running command was taken, before `what` starts; waits there while the command is paused; stops it (CancelledError) when it was cancelled. */
export async function fence(ctx: CommandContext, what: string): Promise<void> {
  if (!(await ctx.store.holdsLease(ctx.task.owner))) throw new LeaseLostError(ctx.task.owner, what);
  await ctx.throttle.whilePaused();
}
