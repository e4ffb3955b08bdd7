import type { RateBase, StateStore } from "../core/state-store.ts";

/** The progress of one pass over a table's rows (see `ProgressTracker.pass`). */
export interface PassProgress {
  /** `rows` more rows went through the pass. */
  add(rows: number): void;
  /** The pass is done: every row of the table went through it. */
  finish(): void;
}

/** What the run knows of a table at its start: its rows now and the migrations whose passes move them. */
export interface TablePlan {
  /** Rows of the table now (shadow copy if any, else origin; 0 when it does not exist yet). */
  rows: number;
  /** Index of the migration of each pass, in run order (see `progressPasses`). */
  passes: readonly number[];
}

interface TableEntry {
  table: string;
  count: number;
  migrated: number;
  passes: readonly number[];
  /** Rows through each pass (by migration index), and the passes that finished. */
  done: Map<number, number>;
  finished: Set<number>;
}

const NO_PASS: PassProgress = { add() {}, finish() {} };

/**
 * `migratable_models` and `stats.tables` of a run. A table's `count` is the rows it holds in the shadow,
 * each row once however many migrations list it: its rows at the start, grown when a pass moves more
 * (rows written meanwhile) or a step of SQL leaves it more (a table created and filled by SQL counts its
 * rows once they are there). Its `migrated` is the share of its passes done: with two transforms, a row
 * counts half when the first transformed it, whole when the second did. `count` never shrinks and
 * `migrated` never decreases; the totals are the sums over the tables; `complete` makes them equal.
 */
export class ProgressTracker {
  private readonly tables: TableEntry[] = [];
  private rateBase: RateBase | null = null;
  private chain: Promise<void> = Promise.resolve();

  /** Progress goes to the store, for the command `owner` runs. */
  constructor(
    private readonly store: StateStore,
    private readonly owner: string,
  ) {}

  /** Sets the tables of the run, in the order it moves them, with nothing migrated yet. */
  start(tables: ReadonlyMap<string, TablePlan>): void {
    const entries = [...tables].map(([table, plan]) => ({ table, count: plan.rows, migrated: 0, passes: plan.passes, done: new Map(), finished: new Set<number>() }));
    this.tables.splice(0, this.tables.length, ...entries);
    this.publish();
  }

  /** The pass that migration `index` makes over `table`; one that makes none gets a pass that counts nothing. */
  pass(index: number, table: string): PassProgress {
    const entry = this.tables.find((t) => t.table === table);
    if (entry === undefined || !entry.passes.includes(index)) return NO_PASS;
    return {
      add: (rows) => {
        if (rows <= 0 || entry.finished.has(index)) return;
        const done = (entry.done.get(index) ?? 0) + rows;
        entry.done.set(index, done);
        this.update(entry, done);
      },
      finish: () => {
        if (entry.finished.has(index)) return;
        entry.finished.add(index);
        this.update(entry, 0);
      },
    };
  }

  /** The rows `table` is counted with now (0 for a table the run does not know). */
  rowsOf(table: string): number {
    return this.tables.find((t) => t.table === table)?.count ?? 0;
  }

  /** `table` holds `rows` rows now (counted after a step of SQL): more than counted grows its count, as rows it received. */
  holds(table: string, rows: number): void {
    const entry = this.tables.find((t) => t.table === table);
    if (entry !== undefined && rows > entry.count) this.update(entry, rows);
  }

  /**
   * A row-by-row transform begins: the first call of the run marks the time and the rows migrated then, from
   * which the ETA takes its rate (rows a database copy landed at once before do not make it look faster).
   */
  transformBegins(): void {
    if (this.rateBase !== null) return;
    this.rateBase = { at: Date.now(), migrated: this.migrated() };
    this.publish();
  }

  /** Marks every pass of every table done. */
  complete(): void {
    for (const entry of this.tables) {
      for (const index of entry.passes) entry.finished.add(index);
      this.update(entry, 0);
    }
  }

  /** Waits until every progress write is stored. */
  async flush(): Promise<void> {
    await this.chain;
  }

  private update(entry: TableEntry, atLeast: number): void {
    const before = { count: entry.count, migrated: entry.migrated };
    entry.count = Math.max(entry.count, atLeast);
    let moved = 0;
    for (const index of entry.passes) moved += entry.finished.has(index) ? entry.count : Math.min(entry.count, entry.done.get(index) ?? 0);
    entry.migrated = Math.max(entry.migrated, Math.floor(moved / entry.passes.length));
    if (entry.count !== before.count || entry.migrated !== before.migrated) this.publish();
  }

  private migrated(): number {
    return this.tables.reduce((sum, t) => sum + t.migrated, 0);
  }

  private publish(): void {
    const count = this.tables.reduce((sum, t) => sum + t.count, 0);
    const migrated = this.migrated();
    const tables = this.tables.map(({ table, count, migrated }) => ({ table, count, migrated }));
    const rateBase = this.rateBase;
    this.chain = this.chain.then(() => this.store.setProgress(this.owner, { count, migrated, tables, rateBase }).catch(() => {}));
  }
}
