import type pg from "pg";
import type { CommandRecord } from "../../core/state-store.ts";
import { type CheckedOut, checkout, type PoolClient, withClient } from "./pg-pool.ts";

/**
 * The advisory lock key of one origin schema: a fixed high word and the oid of its command table, so
 * two services on different schemas of one database do not share a lock.
 */
export async function runLockKey(client: PoolClient, commandTable: string): Promise<string> {
  const { rows } = await client.query<{ key: string }>(`SELECT ((x'4d494752'::bigint << 32) | $1::regclass::oid::bigint)::text AS key`, [
    commandTable,
  ]);
  return rows[0]!.key;
}

/** Takes the run lock inside the claim's transaction, waiting as that transaction's lock_timeout allows. */
export type TakeRunLock = () => Promise<void>;

/**
 * The run lock across replicas: a session advisory lock held on one pinned connection for as long as
 * the claimed command runs. PostgreSQL frees it when that process dies, which is how others see it is gone.
 */
export class RunLock {
  /** The pinned client of the running claim and its lease. */
  private pinned: { held: CheckedOut; owner: string } | null = null;

  /** `key` from runLockKey. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly key: string,
  ) {}

  /**
   * Runs `write` (the claim's transaction: the compare-and-set first, then the lock through `take`) on a
   * fresh client; when it wins, the client stays pinned holding the lock until `release(owner)`. A losing
   * claim gives the client back at once. The lock is only waited for by a winner: the replica that ran the
   * last command unlocks a moment after its worker ended it.
   */
  async claim(owner: string, write: (client: PoolClient, take: TakeRunLock) => Promise<boolean>): Promise<boolean> {
    const held = await checkout(this.pool);
    let locked = false;
    let keep = false;
    try {
      keep = await write(held.client, async () => {
        await held.client.query("SELECT pg_advisory_lock($1::bigint)", [this.key]);
        locked = true;
      });
      if (keep) this.pinned = { held, owner };
      return keep;
    } finally {
      if (!keep) {
        // A session lock outlives the rolled-back transaction that took it.
        if (locked) await this.unlock(held.client).catch(() => held.release(true));
        held.release();
      }
    }
  }

  /** Unlocks and releases the pinned client of `owner`; nothing when it holds none. */
  async release(owner: string): Promise<void> {
    const pinned = this.pinned;
    if (pinned === null || pinned.owner !== owner) return;
    this.pinned = null;
    try {
      if (!pinned.held.broken()) await this.unlock(pinned.held.client);
      pinned.held.release();
    } catch (error) {
      // A connection that cannot unlock must not go back to the pool still holding the lock.
      pinned.held.release(true);
      throw error;
    }
  }

  /** Whether the owner of a running command still holds the lock: ours when pinned here, else probed on another connection. */
  async alive(command: CommandRecord): Promise<boolean> {
    if (!command.running || command.owner === null) return false;
    if (this.pinned !== null && this.pinned.owner === command.owner) return !this.pinned.held.broken();
    return withClient(this.pool, async (client) => {
      const { rows } = await client.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS got", [this.key]);
      if (!rows[0]!.got) return true;
      await this.unlock(client);
      return false;
    });
  }

  /** Releases whatever is pinned. */
  async close(): Promise<void> {
    if (this.pinned !== null) await this.release(this.pinned.owner).catch(() => {});
  }

  private async unlock(client: PoolClient): Promise<void> {
    await client.query("SELECT pg_advisory_unlock($1::bigint)", [this.key]);
  }
}
