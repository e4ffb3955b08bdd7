import { setTimeout as sleep } from "node:timers/promises";
import type { RunControl, StateStore } from "../core/state-store.ts";
import { TokenBucket } from "../core/token-bucket.ts";
import { LeaseLostError } from "../stores/lease-lost.ts";
import { CancelledError } from "./cancelled.ts";
import type { CommandOutput } from "./command-output.ts";
import type { BatchTransformer, RangeJob } from "./types.ts";

/** How long the gate trusts its last read of the command row's throttle, and how long it waits between reads, in ms. */
export const THROTTLE_POLL_MS = 200;

/** The clock and the wait the gate uses (injected by tests). */
export interface GateClock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: GateClock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/**
 * Where a running migrate or finalize is held back: before each key range it waits while the command is
 * paused and until the range's rows fit the rows-per-second limit; at each step boundary (`fence`) it
 * waits while paused. Pause and limit live in the command row, so a `pause` on any replica reaches it; the
 * row is read at most every THROTTLE_POLL_MS. The output says `… paused` once the ranges in flight have
 * landed (from then on no row moves) and `… resumed` when it goes on. A `cancel` recorded in the row
 * stops the run at the gate's next read (CancelledError), also while it waits paused or for its limit.
 */
export class ThrottleGate {
  private readonly bucket = new TokenBucket();
  private readonly inFlight = new Set<Promise<unknown>>();
  private read: { at: number; state: RunControl } | null = null;
  private limit: number | null = null;
  private holding = false;

  /** `noun` names the command in its output lines (`migration paused`). */
  constructor(
    private readonly store: StateStore,
    private readonly owner: string,
    private readonly out: CommandOutput,
    private readonly noun: string,
    private readonly clock: GateClock = REAL_CLOCK,
  ) {}

  /** `transformer`, with its range jobs counted while in flight, so a pause is reported once they landed. */
  watch(transformer: BatchTransformer): BatchTransformer {
    return {
      transform: (job: RangeJob) => {
        const moving = transformer.transform(job);
        const tracked = moving.finally(() => this.inFlight.delete(tracked)).catch(() => undefined);
        this.inFlight.add(tracked);
        return moving;
      },
      replay: (job) => transformer.replay(job),
      close: () => transformer.close(),
    };
  }

  /** Before a key range of about `rows` rows: waits while paused, then until the rows fit the limit. */
  async beforeRange(rows: number): Promise<void> {
    for (;;) {
      const state = await this.current();
      if (state.paused) {
        await this.hold();
        continue;
      }
      this.resumed();
      const now = this.clock.now();
      this.bucket.setRate(state.maxRowsPerSecond, now);
      const wait = this.bucket.waitMs(now);
      if (wait === 0) {
        this.bucket.take(rows, now);
        return;
      }
      // In slices: a new limit or a pause is seen within one poll, not after a long wait.
      await this.clock.sleep(Math.min(wait, THROTTLE_POLL_MS));
    }
  }

  /** At a step boundary (before a migration's copies, dataDefinition, dataManipulation, a cleanup): waits while paused. */
  async whilePaused(): Promise<void> {
    while ((await this.current()).paused) await this.hold();
    this.resumed();
  }

  private async hold(): Promise<void> {
    if (!this.holding) {
      await Promise.all([...this.inFlight]);
      this.holding = true;
      this.out.line(`${this.noun} paused`);
    }
    await this.clock.sleep(THROTTLE_POLL_MS);
  }

  private resumed(): void {
    if (!this.holding) return;
    this.holding = false;
    this.out.line(`${this.noun} resumed`);
  }

  /** The command row's throttle, read again when the last read is older than THROTTLE_POLL_MS; a lost lease or a cancel stops the run. */
  private async current(): Promise<RunControl> {
    const now = this.clock.now();
    if (this.read !== null && now - this.read.at < THROTTLE_POLL_MS) return this.read.state;
    const state = await this.store.readThrottle(this.owner);
    if (state === null) throw new LeaseLostError(this.owner, "waiting at the throttle");
    if (state.cancelledBy !== null) throw new CancelledError(state.cancelledBy);
    this.read = { at: now, state };
    if (state.maxRowsPerSecond !== this.limit) {
      if (this.limit !== null || state.maxRowsPerSecond > 0) this.out.detail(limitLine(this.noun, state.maxRowsPerSecond));
      this.limit = state.maxRowsPerSecond;
    }
    return state;
  }
}

function limitLine(noun: string, limit: number): string {
  return limit > 0 ? `${noun}: at most ${limit} rows per second` : `${noun}: no limit of rows per second`;
}
