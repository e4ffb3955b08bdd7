import { driverForDialect } from "./drivers.ts";
import type { KeyRange, RangePlan, ReplayPlan, RowMapper } from "./store.ts";

/**
 * Worker-thread side of a transform: moves one key range of `plan` on this thread's own connection,
 * mapping the rows read through `map` before they are written. Returns the rows read.
 */
export function moveRange(plan: RangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return driverForDialect(plan.dialect).moveRange(plan, range, map);
}

/** Worker-thread side of a replay: one batch of `plan`'s logged changes through `map`; resolves to the changes consumed. */
export function replayBatch(plan: ReplayPlan, map: RowMapper): Promise<number> {
  return driverForDialect(plan.dialect).replayBatch(plan, map);
}
