import { performance } from "node:perf_hooks";
import type { LoadedMigration } from "../migrations/types.ts";
import type { ShadowSession, TransformRoute } from "../stores/store.ts";
import { BatchLines } from "./batch-lines.ts";
import { formatMs } from "./command-output.ts";
import type { PassProgress } from "./progress-tracker.ts";
import type { CommandContext } from "./types.ts";

/**
 * Moves a table through its `transform` in key ranges of `ctx.batchRows` rows (fewer for wide rows: about
 * `ctx.rangeBytes` of them, see rowsPerRange): this thread only finds where each range ends (an index scan); the worker threads read,
 * transform and write the rows, each on its own connection. At most two ranges per worker are in flight, so memory stays bounded whatever the
 * table size, and progress advances as each range lands. Returns the rows moved.
 */
export async function transformTable(
  ctx: CommandContext,
  session: ShadowSession,
  loaded: LoadedMigration,
  table: string,
  route: TransformRoute,
  pass: PassProgress,
): Promise<number> {
  const prefix = `migration ${loaded.name}`;
  const plan = await session.rangePlan(table, route, ctx.task.owner);
  ctx.progress.transformBegins();
  const rangeRows = rowsPerRange(plan.rowBytes, ctx.batchRows, ctx.progress.rowsOf(table), ctx.rangeBytes);
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
        pass.add(moved);
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

/** Ranges a table's transform is cut into at least, so its progress moves in steps of at most 5 %, unless that makes ranges shorter than PROGRESS_RANGE_MIN_ROWS. */
export const PROGRESS_STEPS = 20;

/** Fewest rows a range is cut to for the sake of progress steps: below it, the per-range costs (a transaction, a message, an index scan) would show. */
export const PROGRESS_RANGE_MIN_ROWS = 100;

/**
 * Rows per range for rows of `rowBytes` bytes of a table of about `tableRows` rows: `maxRows`, or fewer so a
 * range holds about `rangeBytes` of text (at least 10 rows), and fewer so the table takes PROGRESS_STEPS ranges
 * (a 2,000-row table moves in ranges of 100, so its progress moves while it runs; never below PROGRESS_RANGE_MIN_ROWS).
 */
export function rowsPerRange(rowBytes: number, maxRows: number, tableRows = 0, rangeBytes = RANGE_BYTES): number {
  const forProgress = Math.max(PROGRESS_RANGE_MIN_ROWS, Math.ceil(tableRows / PROGRESS_STEPS));
  const limit = tableRows > 0 ? Math.min(maxRows, forProgress) : maxRows;
  if (rowBytes <= 0) return limit;
  return Math.max(Math.min(10, limit), Math.min(limit, Math.floor(rangeBytes / rowBytes)));
}
