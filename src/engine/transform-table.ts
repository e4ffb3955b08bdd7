import { performance } from "node:perf_hooks";
import type { LoadedMigration } from "../migrations/types.ts";
import type { ShadowSession, TransformRoute } from "../stores/store.ts";
import { BatchLines } from "./batch-lines.ts";
import { formatMs } from "./command-output.ts";
import type { CommandContext } from "./types.ts";

/**
 * Moves a table through its `transform` in key ranges of `ctx.batchRows` rows (fewer for wide rows, see
 * rowsPerRange): this thread only finds where each range ends (an index scan); the worker threads read,
 * transform and write the rows, each on its own connection. At most two ranges per worker are in flight, so memory stays bounded whatever the
 * table size, and progress advances as each range lands. Returns the rows moved.
 */
export async function transformTable(
  ctx: CommandContext,
  session: ShadowSession,
  loaded: LoadedMigration,
  table: string,
  route: TransformRoute,
  share: { add(rows: number): void },
): Promise<number> {
  const prefix = `migration ${loaded.name}`;
  const plan = await session.rangePlan(table, route, ctx.task.owner);
  const rangeRows = rowsPerRange(plan.rowBytes, ctx.batchRows);
  const inFlight = Math.max(2, ctx.task.transformWorkers * 2);
  const running = new Set<Promise<void>>();
  const started = performance.now();
  let after: unknown[] | null = null;
  let rows = 0;
  let ranges = 0;
  const lines = new BatchLines((batch, moved) => ctx.out.detail(`${prefix}: transformed batch ${batch} of "${table}" (${moved} rows)`));
  try {
    for (;;) {
      await ctx.throttle.beforeRange(rangeRows);
      const upTo = await session.rangeEnd(plan, after, rangeRows);
      const number = ++ranges;
      const job = ctx.transformer.transform({ path: loaded.path, checksum: loaded.checksum, table, plan, range: { after, upTo } }).then((moved) => {
        rows += moved;
        share.add(moved);
        lines.land(number, moved);
      });
      // A failed job stays in the set, so the next wait rethrows its error.
      running.add(job);
      job.then(() => running.delete(job), () => {});
      // The next range goes out when any range lands, not the oldest: a thread that is still starting holds up no one.
      if (running.size >= inFlight) await Promise.race(running);
      if (upTo === null) break;
      after = upTo;
    }
    await Promise.all(running);
  } catch (error) {
    await Promise.allSettled(running);
    throw error;
  }
  ctx.out.detail(`${prefix}: transformed ${rows} rows of "${table}"`);
  const batches = lines.batches === 1 ? "1 batch" : `${lines.batches} batches`;
  ctx.out.detail(`${prefix}: transform of "${table}" took ${formatMs(performance.now() - started)} in ${batches}`);
  return rows;
}

/** Text a range may hold, in bytes: wide rows get shorter ranges, so a thread's memory stays bounded by size, not by rows. */
export const RANGE_BYTES = 8 * 1024 * 1024;

/** Rows per range for rows of `rowBytes` bytes: `maxRows`, or fewer so a range holds about RANGE_BYTES of text (at least 10 rows). */
export function rowsPerRange(rowBytes: number, maxRows: number): number {
  if (rowBytes <= 0) return maxRows;
  return Math.max(Math.min(10, maxRows), Math.min(maxRows, Math.floor(RANGE_BYTES / rowBytes)));
}
