import type { TableProgress } from "../core/results.ts";
import type { StateStore } from "../core/state-store.ts";

/**
 * `migratable_models`: `count` is fixed up front; `migrated` only grows, each table contributing at
 * most its share, and equals `count` when the run completes. The same per table (a table that several
 * pending migrations list adds up their shares).
 */
export class ProgressTracker {
  private count = 0;
  private migrated = 0;
  private readonly tables: TableProgress[] = [];
  private chain: Promise<void> = Promise.resolve();

  /** Progress goes to the store, for the command `owner` runs. */
  constructor(
    private readonly store: StateStore,
    private readonly owner: string,
  ) {}

  /** Sets the rows each table moves (the total is their sum) and resets `migrated` to 0. */
  start(tables: ReadonlyMap<string, number>): void {
    this.count = [...tables.values()].reduce((sum, rows) => sum + rows, 0);
    this.migrated = 0;
    this.tables.splice(0, this.tables.length, ...[...tables].map(([table, rows]) => ({ table, count: rows, migrated: 0 })));
    this.publish();
  }

  /** A share of `budget` rows that `table` moves; `add` never exceeds it, `finish` fills it up. */
  share(table: string, budget: number): { add(rows: number): void; finish(): void } {
    let done = 0;
    const entry = this.tables.find((t) => t.table === table);
    const advance = (rows: number) => {
      if (entry !== undefined) entry.migrated = Math.min(entry.count, entry.migrated + rows);
      this.advance(rows);
    };
    return {
      add: (rows) => {
        const step = Math.max(0, Math.min(rows, budget - done));
        done += step;
        advance(step);
      },
      finish: () => {
        advance(budget - done);
        done = budget;
      },
    };
  }

  /** Marks everything migrated. */
  complete(): void {
    for (const entry of this.tables) entry.migrated = entry.count;
    this.advance(this.count - this.migrated);
  }

  /** Waits until every progress write is stored. */
  async flush(): Promise<void> {
    await this.chain;
  }

  private advance(rows: number): void {
    if (rows <= 0) return;
    this.migrated = Math.min(this.count, this.migrated + rows);
    this.publish();
  }

  private publish(): void {
    const { count, migrated } = this;
    const tables = this.tables.map((t) => ({ ...t }));
    this.chain = this.chain.then(() => this.store.setProgress(this.owner, count, migrated, tables).catch(() => {}));
  }
}
