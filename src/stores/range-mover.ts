import { moveRangePostgres } from "./postgres/range-mover.ts";
import type { PgRangePlan } from "./postgres/range-plan.ts";
import { moveRangeSqlite } from "./sqlite/range-mover.ts";
import type { SqliteRangePlan } from "./sqlite/range-plan.ts";
import type { KeyRange, RangePlan, RowMapper } from "./store.ts";

/**
 * Worker-thread side of a transform: moves one key range of `plan` on this thread's own connection,
 * mapping the rows read through `map` before they are written. Returns the rows read.
 */
export function moveRange(plan: RangePlan, range: KeyRange, map: RowMapper): Promise<number> {
  return plan.dialect === "postgres" ? moveRangePostgres(plan as PgRangePlan, range, map) : moveRangeSqlite(plan as SqliteRangePlan, range, map);
}
