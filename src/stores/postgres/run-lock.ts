import type pg from "pg";
import type { CommandRecord } from "../store.ts";
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

/** How long a claim waits for a run lock that the last runner is about to release. */
const CLAIM_WAIT_MS = 2000;

/**
 * The run lock across replicas: a session advisory lock held on one pinned connection for as long as
 * the claimed command runs. PostgreSQL frees it when that process dies, which is how others see it is gone.
 */
export class RunLock {
  /** The pinned client and the owners of the claims it holds the lock for (see `claim`). */
  private pinned: { held: CheckedOut; owners: string[] } | null = null;
  /** The unlock of the last release while it is on its way: a claim must not race it. */
  private releasing: Promise<void> = Promise.resolve();

  /** `key` from runLockKey. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly key: string,
  ) {}

  /**
   * Takes the advisory lock on a fresh client and runs `write` (the compare-and-set claim) on it; on
   * success the client stays pinned holding the lock until `release(owner)`. False, holding nothing, otherwise.
   */
  async claim(owner: string, write: (client: PoolClient) => Promise<boolean>): Promise<boolean> {
    await this.releasing;
    if (this.pinned !== null) return this.claimOnPinned(this.pinned, owner, write);
    const held = await checkout(this.pool);
    let keep = false;
    try {
      if (!(await this.waitForLock(held.client))) return false;
      try {
        keep = await write(held.client);
      } finally {
        if (!keep) await this.unlock(held.client);
      }
      if (keep) this.pinned = { held, owners: [owner] };
      return keep;
    } finally {
      if (!keep) held.release();
    }
  }

  /**
   * The manager releases a run's lock only after the worker answered, so a client that saw the command
   * end can claim again first. Holding the lock already, this replica claims on the same client (the
   * compare-and-set still refuses while the row runs) and counts the claim, so that late release keeps it.
   */
  private async claimOnPinned(pinned: { held: CheckedOut; owners: string[] }, owner: string, write: (client: PoolClient) => Promise<boolean>): Promise<boolean> {
    if (pinned.held.broken()) return false;
    pinned.owners.push(owner);
    let won = false;
    try {
      won = await write(pinned.held.client);
      return won;
    } finally {
      if (!won) await this.release(owner);
    }
  }

  /** Drops one claim of `owner`; the last one unlocks and releases the pinned client. Nothing when it holds none. */
  async release(owner: string): Promise<void> {
    const pinned = this.pinned;
    const at = pinned?.owners.indexOf(owner) ?? -1;
    if (pinned === null || at < 0) return;
    pinned.owners.splice(at, 1);
    if (pinned.owners.length > 0) return;
    this.pinned = null;
    const unlocking = (async () => {
      try {
        if (!pinned.held.broken()) await this.unlock(pinned.held.client);
        pinned.held.release();
      } catch (error) {
        // A connection that cannot unlock must not go back to the pool still holding the lock.
        pinned.held.release(true);
        throw error;
      }
    })();
    this.releasing = unlocking.catch(() => {});
    await unlocking;
  }

  /** Whether the owner of a running command still holds the lock: ours when pinned here, else probed on another connection. */
  async alive(command: CommandRecord): Promise<boolean> {
    if (!command.running || command.owner === null) return false;
    if (this.pinned !== null && this.pinned.owners.includes(command.owner)) return !this.pinned.held.broken();
    return withClient(this.pool, async (client) => {
      if (!(await this.tryLock(client))) return true;
      await this.unlock(client);
      return false;
    });
  }

  /** Releases whatever is pinned. */
  async close(): Promise<void> {
    const pinned = this.pinned;
    if (pinned === null) return;
    pinned.owners.splice(0, pinned.owners.length - 1);
    await this.release(pinned.owners[0]!).catch(() => {});
  }

  /**
   * The manager claims only after it read `running = false`, yet the replica that ran the last command
   * unlocks a moment after its worker ended it; so wait for the lock briefly instead of failing at once.
   */
  private async waitForLock(client: PoolClient): Promise<boolean> {
    await client.query(`SET lock_timeout = '${CLAIM_WAIT_MS}ms'`);
    try {
      await client.query("SELECT pg_advisory_lock($1::bigint)", [this.key]);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "55P03") return false;
      throw error;
    } finally {
      await client.query("RESET lock_timeout");
    }
  }

  private async tryLock(client: PoolClient): Promise<boolean> {
    const { rows } = await client.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS got", [this.key]);
    return rows[0]!.got;
  }

  private async unlock(client: PoolClient): Promise<void> {
    await client.query("SELECT pg_advisory_unlock($1::bigint)", [this.key]);
  }
}
