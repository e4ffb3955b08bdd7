import { Piscina } from "piscina";
import type { BatchTransformer, TransformJob } from "../engine/types.ts";

/** Idle transform threads stop after this many ms. */
const IDLE_TIMEOUT_MS = 10_000;

/**
 * A piscina pool of `threads` threads that run transform batches. Threads start on the first batch,
 * so commands without transforms pay nothing.
 */
export function createTransformPool(threads: number): BatchTransformer {
  let pool: Piscina | null = null;
  let poolError: Error | null = null;
  return {
    async transform(job: TransformJob): Promise<unknown[]> {
      if (poolError !== null) throw poolError;
      if (pool === null) {
        pool = new Piscina({
          filename: new URL("./transform-worker.mjs", import.meta.url).href,
          minThreads: 0,
          maxThreads: Math.max(1, threads),
          idleTimeout: IDLE_TIMEOUT_MS,
        });
        pool.on("error", (error: Error) => {
          poolError = error;
        });
      }
      return (await pool.run(job)) as unknown[];
    },
    async close(): Promise<void> {
      const running = pool;
      pool = null;
      await running?.destroy();
    },
  };
}
