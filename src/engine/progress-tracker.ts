import type { RunnerEvent } from "../runner/messages.ts";
import type { StateStore } from "../stores/store.ts";

/**
 * `migratable_models`: `count` is fixed up front; `migrated` only grows, each table contributing at
 * most its share, and equals `count` when the run completes.
 */
export class ProgressTracker {
  private count = 0;
  private migrated = 0;
  private chain: Promise<void> = Promise.resolve();

  /** Progress goes to the store of `owner` and to `emit`. */
  constructor(
    private readonly store: StateStore,
    private readonly owner: string,
    private readonly emit: (event: RunnerEvent) => void = () => {},
  ) {}

  /** Sets the total and resets `migrated` to 0. */
  start(count: number): void {
    this.count = count;
    this.migrated = 0;
    this.publish();
  }

  /** A share of `budget` rows that one table moves; `add` never exceeds it, `finish` fills it up. */
  share(budget: number): { add(rows: number): void; finish(): void } {
    let done = 0;
    return {
      add: (rows) => {
        const step = Math.max(0, Math.min(rows, budget - done));
        done += step;
        this.advance(step);
      },
      finish: () => {
        this.advance(budget - done);
        done = budget;
      },
    };
  }

  /** Marks everything migrated. */
  complete(): void {
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
    this.emit({ type: "progress", count, migrated });
    this.chain = this.chain.then(() => this.store.setProgress(this.owner, count, migrated).catch(() => {}));
  }
}
