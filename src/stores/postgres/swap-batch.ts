import type { PoolClient } from "./pg-pool.ts";
import { RETRYABLE_STATES } from "./lock-retry.ts";
import { sqlState } from "./sql.ts";

/** One statement of the swap, with the text its error gets when it fails (default: the database's message). */
export interface SwapStatement {
  /** SQL text, parameters inlined as quoted literals. */
  sql: string;
  /** The error message to raise when this statement fails, from the database's. */
  fail?: (message: string) => string;
}

/** A statement whose failure reads `<context>: <database message>`. */
export function inContext(sql: string, context: string): SwapStatement {
  return { sql, fail: (message) => `${context}: ${message}` };
}

/**
 * Runs `statements` in order inside the caller's transaction in ONE round trip (a multi-statement simple
 * query). When one fails, the batch is rolled back to a savepoint taken first and run again statement by
 * statement, so the error names the statement that failed; lock timeouts and deadlocks pass unchanged so
 * the swap retries.
 */
export async function runBatch(client: PoolClient, statements: readonly SwapStatement[]): Promise<void> {
  if (statements.length === 0) return;
  try {
    await client.query(["SAVEPOINT swap_batch", ...statements.map((s) => s.sql)].join(";\n"));
  } catch (error) {
    if (RETRYABLE_STATES.has(sqlState(error) ?? "")) throw error;
    await client.query("ROLLBACK TO SAVEPOINT swap_batch");
    for (const statement of statements) await runOne(client, statement);
    throw error;
  }
}

async function runOne(client: PoolClient, statement: SwapStatement): Promise<void> {
  try {
    await client.query(statement.sql);
  } catch (error) {
    if (statement.fail === undefined || RETRYABLE_STATES.has(sqlState(error) ?? "")) throw error;
    throw new Error(statement.fail((error as Error).message), { cause: error });
  }
}
