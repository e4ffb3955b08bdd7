/**
 * The detail lines of a table's transform batches, in key order whatever order the ranges land in (two or
 * more run at once), numbered among the batches that moved rows: a range that held no row (the open range
 * after the last full one, a gap in the keys) gets no line and no number.
 */
export class BatchLines {
  private readonly landed = new Map<number, number>();
  private reported = 0;
  private numbered = 0;

  /** `emit` receives each line's batch number and rows. */
  constructor(private readonly emit: (batch: number, rows: number) => void) {}

  /** Range `range` (1-based, in the order the ranges were handed out) moved `rows`; emits every line now in order. */
  land(range: number, rows: number): void {
    this.landed.set(range, rows);
    for (let next = this.landed.get(this.reported + 1); next !== undefined; next = this.landed.get(this.reported + 1)) {
      this.landed.delete(++this.reported);
      if (next > 0) this.emit(++this.numbered, next);
    }
  }

  /** The batches that moved rows, reported so far. */
  get batches(): number {
    return this.numbered;
  }
}
