/** Readings older than this are forgotten, in ms: the rate is that of the last half minute. */
const WINDOW_MS = 30_000;
/** Two readings closer than this give no rate yet, in ms. */
const MIN_SPAN_MS = 1_000;

/**
 * The replay rate of each captured table, from the replayed-changes counters of successive snapshots:
 * changes per second between the oldest reading in the window and the newest. Any replica's replays count.
 */
export class ReplayRates {
  private readonly readings = new Map<string, { at: number; replayed: number }[]>();

  /** Adds a reading of `replayed` per table at `now` and returns each table's rate (null: not enough readings). */
  observe(now: number, replayed: ReadonlyMap<string, number>): Map<string, number | null> {
    const rates = new Map<string, number | null>();
    for (const table of this.readings.keys()) if (!replayed.has(table)) this.readings.delete(table);
    for (const [table, count] of replayed) {
      const kept = (this.readings.get(table) ?? []).filter((r) => now - r.at <= WINDOW_MS && r.replayed <= count);
      kept.push({ at: now, replayed: count });
      this.readings.set(table, kept);
      const first = kept[0]!;
      const span = now - first.at;
      rates.set(table, span >= MIN_SPAN_MS ? ((count - first.replayed) * 1000) / span : null);
    }
    return rates;
  }
}
