import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { inTransaction, type PoolClient, withClient } from "./pg-pool.ts";
import { LOCK_NOT_AVAILABLE, sqlState } from "./sql.ts";

/** How a DDL transaction waits for table locks. */
export interface LockPolicy {
  /** `lock_timeout` of each attempt, in ms: the longest a queued ACCESS EXCLUSIVE request can stall other sessions. */
  lockTimeoutMs: number;
  /** Attempts before giving up. */
  attempts: number;
  /** Pause after the first failed attempt, in ms; doubled (with jitter) after each further one. */
  backoffMs: number;
}

/**
 * Finalize: 200 ms per attempt, 7 attempts, backing off 100 → 3200 ms: gives up after about 8 s of long readers.
 * A queued ACCESS EXCLUSIVE request stalls every later query of the table for as long as it waits, so the
 * per-attempt timeout is the stall the application sees while a long transaction holds a table: measured with
 * two connections holding the table in back-to-back 2 s transactions, the worst stall of a third session was
 * 840–907 ms at 800 ms per attempt and 229–320 ms at 200 ms (load 29); against 400 ms transactions the
 * swap still got its locks (after 1.2–7.9 s), which 100 ms per attempt did not. Below PostgreSQL's default
 * deadlock_timeout (1 s) on purpose: when an application transaction and the service's DDL wait for each
 * other (it holds one table and wants another the DDL locked first), the DDL's attempt times out and retries
 * before the deadlock detector runs, so the application's write is never the victim.
 */
export const DEFAULT_LOCK_POLICY: LockPolicy = { lockTimeoutMs: 200, attempts: 7, backoffMs: 100 };

/**
 * The policy that waits about `waitMs` in all: attempts of DEFAULT_LOCK_POLICY's lock_timeout (less when
 * `waitMs` is shorter) with its doubling pauses, as many as fit (at least one).
 */
export function lockPolicyWithin(waitMs: number): LockPolicy {
  const lockTimeoutMs = Math.max(1, Math.min(DEFAULT_LOCK_POLICY.lockTimeoutMs, waitMs));
  const backoffMs = Math.min(DEFAULT_LOCK_POLICY.backoffMs, lockTimeoutMs);
  let attempts = 1;
  let spent = lockTimeoutMs;
  for (let pause = backoffMs; spent + pause + lockTimeoutMs <= waitMs; pause *= 2) {
    spent += pause + lockTimeoutMs;
    attempts++;
  }
  return { lockTimeoutMs, attempts, backoffMs };
}

/** Raised when every attempt timed out waiting for a lock. */
export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
}

/**
 * Runs `fn` in a transaction with `SET LOCAL lock_timeout`, retrying the whole transaction with
 * exponential backoff when a lock wait times out (55P03) or deadlocks (40P01). While it backs off it holds and requests
 * nothing, so queries of other sessions never queue behind it for longer than one `lockTimeoutMs`.
 */
export async function withLockRetry<T>(pool: pg.Pool, policy: LockPolicy, what: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return retryOnLockTimeout(policy, what, () =>
    withClient(pool, (client) =>
      inTransaction(client, async () => {
        await setLockTimeout(client, policy);
        return fn(client);
      }),
    ),
  );
}

/** `SET LOCAL lock_timeout` of one attempt of `policy`, inside the caller's transaction. */
export async function setLockTimeout(client: PoolClient, policy: LockPolicy): Promise<void> {
  await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(policy.lockTimeoutMs))}`);
}

/** Runs `attempt` (one whole transaction) again with exponential backoff while it fails on a lock timeout or deadlock. */
export async function retryOnLockTimeout<T>(policy: LockPolicy, what: string, attempt: () => Promise<T>): Promise<T> {
  let pause = policy.backoffMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!RETRYABLE_STATES.has(sqlState(error) ?? "")) throw error;
      if (tries >= policy.attempts) {
        throw new LockTimeoutError(
          `${what} could not get its table locks within ${policy.lockTimeoutMs} ms in ${policy.attempts} attempts: ` +
            `another transaction holds them (a long reader or writer); try again when it has ended`,
          { cause: error },
        );
      }
      await sleep(pause * (0.75 + Math.random() * 0.5));
      pause *= 2;
    }
  }
}

/** SQLSTATEs after which the whole swap transaction is worth retrying: a lock wait timed out, or a deadlock. */
export const RETRYABLE_STATES: ReadonlySet<string> = new Set([LOCK_NOT_AVAILABLE, "40P01"]);

/** Runs `fn`, prefixing its error with `context`; lock timeouts and deadlocks pass unchanged so the swap retries. */
export async function rethrowWithContext<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const state = sqlState(error);
    if (state !== undefined && RETRYABLE_STATES.has(state)) throw error;
    throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
  }
}
