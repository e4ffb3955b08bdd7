import type { GuardedTable } from "../core/state-store.ts";
import { type LoadedMigration, rowTransformOf } from "../migrations/types.ts";
import { ReplayYielded } from "../stores/replay-yielded.ts";
import type { RowMapper, ShadowSession, Store, TableShape } from "../stores/store.ts";
import { chainRows } from "./transform-rows.ts";
import { RETRY_FINALIZE_HINT, SwapLocksBusyError } from "../stores/swap-locks-busy.ts";
import { type BatchTransformer, BUSY, type CommandContext, type TransformRef, YIELDED } from "./types.ts";

/** What a replay needs: the store, the threads, a session for the plans, and the lease it writes under (null between commands). */
export interface ReplayContext {
  /** The store. */
  store: Store;
  /** The threads batches run on. */
  transformer: BatchTransformer;
  /** A shadow session, for the plans. */
  session: ShadowSession;
  /** The running command's lease, or null between commands. */
  owner: string | null;
}

/** The transforms of `table` over `chain` (ascending), as refs a thread imports. */
export function transformRefs(chain: readonly LoadedMigration[], table: string): TransformRef[] {
  return chain.filter((m) => rowTransformOf(m.migration, table) !== undefined).map((m) => ({ path: m.path, checksum: m.checksum }));
}

/** The chain's transforms run on this thread, for the finalize swap's last replay under its locks. */
export function inlineMapper(chain: readonly LoadedMigration[]): (shape: TableShape) => RowMapper {
  return (shape) => {
    const transforms = chain.flatMap((m) => rowTransformOf(m.migration, shape.table) ?? []);
    return (rows) => chainRows(shape, transforms, rows);
  };
}

/** The tables whose changes are logged now: captured ones, and protected ones with changes left from a capture. */
export async function loggedTables(store: Store): Promise<GuardedTable[]> {
  return (await store.snapshot()).guarded.filter((g) => g.mode === "captured" || g.backlog > 0);
}

/**
 * Replays the logged changes of every captured table that has a shadow copy through `chain`'s transforms,
 * the tables in parallel and each table's batches one after another (the store allows one replayer per
 * table), until a batch comes back short (the log had caught up with the writers) or `deadline` (epoch
 * ms) passed. Returns the changes replayed per table.
 */
export async function replayCaptured(rc: ReplayContext, chain: readonly LoadedMigration[], deadline = Infinity): Promise<Map<string, number>> {
  const replayed = new Map<string, number>();
  await Promise.all(
    (await loggedTables(rc.store)).map(async ({ table }) => {
      if ((await rc.session.locate(table)) !== "shadow") return;
      const plan = await rc.session.replayPlan(table, rc.owner);
      const transforms = transformRefs(chain, table);
      for (;;) {
        const changes = await rc.transformer.replay({ table, plan, transforms });
        if (changes === YIELDED) throw new ReplayYielded();
        if (changes === BUSY) throw replayBusy(table);
        replayed.set(table, (replayed.get(table) ?? 0) + changes);
        if (changes < plan.batch || Date.now() > deadline) break;
      }
    }),
  );
  return replayed;
}

/** The retryable refusal of a replay whose write waited in vain for the database's write lock (SQLite). */
function replayBusy(table: string): SwapLocksBusyError {
  return new SwapLocksBusyError(
    `Finalize could not replay the captured changes of "${table}": another connection held the write lock of the database past the busy timeout; ${RETRY_FINALIZE_HINT}`,
  );
}

/** How long one replay between commands goes on at most, in ms: the watchdog starts the next; a shutdown waits for no more. */
export const BETWEEN_COMMANDS_PASS_MS = 5_000;

/**
 * Between commands (state finalization_required): replays what the application wrote since, so finalize
 * finds a short backlog. Stops quietly when a command starts (it replays from there). Returns the changes replayed.
 */
export async function replayBetweenCommands(store: Store, transformer: BatchTransformer, chain: readonly LoadedMigration[]): Promise<number> {
  const session = await store.openSession({ verbose: false, log: () => {} });
  try {
    const replayed = await replayCaptured({ store, transformer, session, owner: null }, chain, Date.now() + BETWEEN_COMMANDS_PASS_MS);
    return [...replayed.values()].reduce((a, b) => a + b, 0);
  } catch (error) {
    if (error instanceof ReplayYielded) return 0;
    throw error;
  } finally {
    await session.close();
  }
}

/** One detail line per table with the changes replayed into its shadow copy (none for a table without changes). */
export function reportReplayed(ctx: CommandContext, when: string, replayed: ReadonlyMap<string, number>): void {
  for (const [table, changes] of replayed) if (changes > 0) ctx.out.detail(`replayed ${changes} change(s) of "${table}" written ${when}`);
}
