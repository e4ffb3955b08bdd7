import type { CommandRecord } from "./state-store.ts";

/** How long an own run may go on after the command row stopped naming its lease before its thread is ended, in ms. */
export const LEASE_LOSS_GRACE_MS = 2_000;

/** One command this replica claims or runs. */
interface RunHandle {
  /** Aborting it ends the worker thread. */
  abort: AbortController;
  /** Epoch ms since which the command row no longer names this lease, or null. */
  lostSince: number | null;
  /** The exception the run ended with when the store could not record it (e.g. the database was down). */
  unrecorded: string | null;
  /** True once the claim won and the run started. */
  launched: boolean;
  /** True once the run ended; the handle stays until the row no longer names it. */
  ended: boolean;
}

/** Whether `owner` (a command's runner) is a lease of the replica `replicaId`: `replicaId.N`. */
export function isLeaseOf(replicaId: string, owner: string): boolean {
  return owner.startsWith(`${replicaId}.`);
}

/**
 * The leases this replica holds, from the moment it starts claiming until the command row names them no
 * more: the one source of "is this replica's command alive", never a guess from a heartbeat.
 */
export class ReplicaRuns {
  private serial = 0;
  private readonly runs = new Map<string, RunHandle>();

  /** `replicaId` is `host:pid:random`; leases are `host:pid:random.N`. */
  constructor(private readonly replicaId: string) {}

  /** A new lease, held from now on (call before the claim, so no check ever sees a fresh claim as dead). */
  take(): { lease: string; signal: AbortSignal } {
    const lease = `${this.replicaId}.${++this.serial}`;
    const abort = new AbortController();
    this.runs.set(lease, { abort, lostSince: null, unrecorded: null, launched: false, ended: false });
    return { lease, signal: abort.signal };
  }

  /** Gives a lease up (a lost claim). */
  drop(lease: string): void {
    this.runs.delete(lease);
  }

  /** Records that the claim of `lease` won and its run started. */
  launched(lease: string): void {
    const run = this.runs.get(lease);
    if (run !== undefined) run.launched = true;
  }

  /** Records that the run of `lease` ended, and with what exception if the store could not take it. */
  ended(lease: string, unrecorded: string | null): void {
    const run = this.runs.get(lease);
    if (run === undefined) return;
    run.ended = true;
    run.unrecorded = unrecorded;
  }

  /** Whether `owner` is a lease of this replica. */
  owns(owner: string): boolean {
    return isLeaseOf(this.replicaId, owner);
  }

  /** Whether this replica's lease `owner` is still being claimed or run. */
  alive(owner: string): boolean {
    const run = this.runs.get(owner);
    return run !== undefined && !run.ended;
  }

  /** The exception a run of this replica ended with but could not record, if any. */
  unrecorded(owner: string): string | null {
    return this.runs.get(owner)?.unrecorded ?? null;
  }

  /** Ends the thread of the running lease `owner` with `reason`; false when this replica does not run it. */
  abort(owner: string, reason: string): boolean {
    const run = this.runs.get(owner);
    if (run === undefined || run.ended) return false;
    run.abort.abort(new Error(reason));
    return true;
  }

  /**
   * Looks at the command row: a handle whose lease the row no longer names is forgotten once its run
   * ended; a run still going LEASE_LOSS_GRACE_MS after that (another replica declared it lost, or a reset
   * took it over) is aborted, since it may hang where no fence is reached. Returns the leases aborted.
   */
  reconcile(command: CommandRecord, now = Date.now()): string[] {
    const aborted: string[] = [];
    for (const [lease, run] of this.runs) {
      if (!run.launched) continue;
      if (command.running && command.owner === lease) {
        run.lostSince = null;
        continue;
      }
      if (run.ended) {
        this.runs.delete(lease);
        continue;
      }
      run.lostSince ??= now;
      if (now - run.lostSince >= LEASE_LOSS_GRACE_MS && this.abort(lease, "because its lease was taken by another command")) aborted.push(lease);
    }
    return aborted;
  }

  /** The runs not ended yet. */
  active(): string[] {
    return [...this.runs].filter(([, run]) => !run.ended).map(([lease]) => lease);
  }
}
