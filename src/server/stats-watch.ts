import { setTimeout as sleep } from "node:timers/promises";
import type { MigrationApi, Stats } from "../core/results.ts";

/** How often a watcher looks at the stats, in ms: at most four messages a second. */
export const WATCH_INTERVAL_MS = 250;

/** What makes two stats "the same" for a watcher: everything but the rate and ETA, which move with the clock. */
function changeKey(stats: Stats): string {
  const command = stats.command === null ? null : { ...stats.command, rowsPerSecond: null, etaSeconds: null };
  return JSON.stringify({ ...stats, command });
}

/**
 * The stats now, then again whenever they changed (state, output, progress), looked at every
 * `intervalMs`, until `signal` aborts (the client left). Store errors end the stream with that error.
 */
export async function* watchStats(api: MigrationApi, signal: AbortSignal, intervalMs = WATCH_INTERVAL_MS): AsyncGenerator<Stats> {
  let last: string | null = null;
  while (!signal.aborted) {
    const stats = await api.stats();
    const key = changeKey(stats);
    if (key !== last) {
      last = key;
      yield stats;
    }
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return;
    }
  }
}
