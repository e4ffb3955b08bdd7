import { LeaseLostError } from "../stores/lease-lost.ts";
import type { CommandContext } from "./types.ts";

/** Stops the run (LeaseLostError) when its lease on the running command was taken, before `what` starts. */
export async function fence(ctx: CommandContext, what: string): Promise<void> {
  if (!(await ctx.store.holdsLease(ctx.task.owner))) throw new LeaseLostError(ctx.task.owner, what);
}
