import { performance } from "node:perf_hooks";
import type { LoadedMigration } from "../migrations/types.ts";
import type { ShadowSession } from "../stores/store.ts";
import { formatMs } from "./command-output.ts";
import { errorText } from "./error-text.ts";
import { checkTransformedRow } from "./row-checks.ts";
import type { CommandContext } from "./types.ts";

/**
 * Streams a shadow table through its `transform`: keyset batches are read on the session, transformed
 * on the worker threads (a few batches in flight) and written back one transaction per batch.
 */
export async function transformTable(
  ctx: CommandContext,
  session: ShadowSession,
  loaded: LoadedMigration,
  table: string,
  share: { add(rows: number): void },
): Promise<number> {
  const prefix = `migration ${loaded.name}`;
  if ((await session.locate(table)) !== "shadow") {
    throw new Error(`The transform of table "${table}" has no table to work on: "${table}" does not exist after dataDefinition`);
  }
  const shape = await session.shape(table);
  const inFlight = Math.max(2, ctx.task.transformWorkers * 2);
  const queue: Promise<void>[] = [];
  const started = performance.now();
  let after: unknown[] | null = null;
  let rows = 0;
  let batches = 0;
  try {
    for (;;) {
      const batch = await session.readBatch(shape, after, ctx.batchRows);
      if (batch.rows.length === 0) break;
      after = batch.keys[batch.keys.length - 1]!;
      const number = ++batches;
      const job = ctx.transformer
        .transform({ path: loaded.path, checksum: loaded.checksum, table, rows: batch.rows })
        .catch((error: unknown) => {
          throw new Error(`The transform of table "${table}" failed: ${errorText(error)}`, { cause: error });
        })
        .then(async (results) => {
          const checked = batch.rows.map((row, i) => checkTransformedRow(shape, row, results[i]));
          await session.replaceRows(shape, batch.keys, checked);
          rows += batch.rows.length;
          share.add(batch.rows.length);
          ctx.out.detail(`${prefix}: transformed batch ${number} of "${table}" (${batch.rows.length} rows)`);
        });
      // Marked handled now; the rejection is rethrown when the queue reaches it.
      job.catch(() => {});
      queue.push(job);
      if (queue.length >= inFlight) await queue.shift();
      if (batch.rows.length < ctx.batchRows) break;
    }
    while (queue.length > 0) await queue.shift();
  } catch (error) {
    await Promise.allSettled(queue);
    throw error;
  }
  ctx.out.line(`${prefix}: transformed ${rows} rows of "${table}"`);
  ctx.out.detail(`${prefix}: transform of "${table}" took ${formatMs(performance.now() - started)} in ${batches} batches`);
  return rows;
}
