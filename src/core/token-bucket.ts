/**
 * The rows-per-second budget of a run, as a token bucket that holds one key range: a range may start once
 * the rows of the ranges before it are paid for at the rate, so by any time t at most `rate·t` rows plus
 * the range in hand have started. Idle time earns no credit (a resumed run does not burst), and a
 * changed rate applies to what is still owed. Pure: the caller passes the clock (epoch ms).
 */
export class TokenBucket {
  private rate = 0;
  /** The moment the rows taken so far are paid for. */
  private paidAt = Number.NEGATIVE_INFINITY;

  /** Sets the rows per second (0: no limit); what is still owed is rescaled to the new rate. */
  setRate(rate: number, now: number): void {
    if (rate === this.rate) return;
    const owed = Math.max(0, this.paidAt - now);
    this.paidAt = this.rate > 0 && rate > 0 ? now + (owed * this.rate) / rate : now;
    this.rate = rate;
  }

  /** Milliseconds until the next range may start; 0 when it may start now (always, without a limit). */
  waitMs(now: number): number {
    return this.rate > 0 ? Math.max(0, this.paidAt - now) : 0;
  }

  /** Takes `rows` for a range that starts now: the next one waits until they are paid for. */
  take(rows: number, now: number): void {
    if (this.rate <= 0) return;
    this.paidAt = Math.max(this.paidAt, now) + (rows * 1000) / this.rate;
  }
}
