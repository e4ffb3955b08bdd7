import { Piscina } from "piscina";
import type { BatchTransformer, RangeJob, ReplayJob } from "../engine/types.ts";
import { newWriteTurns, useWriteTurns } from "../stores/write-turns.ts";
import runTransformJob from "./transform-task.ts";

/** Idle transform threads stop after this many ms. */
const IDLE_TIMEOUT_MS = 10_000;
/**
 * Heap caps of a transform thread, in MB. V8 sizes a thread's heap from the machine's memory and, with
 * gigabytes of headroom, lets each thread grow by tens of MB of garbage at a million rows, for no speed.
 * With these caps `npm run bench` measured a peak RSS of about 270 MB instead of 330 MB with 2 threads,
 * with throughput within noise. 1 GB of old generation still leaves room for a transform with large rows;
 * a thread that runs out fails its migration with ERR_WORKER_OUT_OF_MEMORY.
 */
const HEAP_LIMITS = { maxYoungGenerationSizeMb: 24, maxOldGenerationSizeMb: 1024 };

type Job = RangeJob | ({ replay: true } & ReplayJob);

/**
 * Runs range and replay jobs on `workers` executors: the calling thread (the command's, whose modules and
 * TypeScript loader are loaded already) runs one job at a time itself, and `workers - 1` piscina threads,
 * each on its own database connection, run the others. A thread costs most of a second of CPU to start
 * (its own TypeScript loader), which the calling thread does not pay: with `--workers 1` no thread starts
 * at all. Threads start when a job finds the calling thread busy, so commands without transforms pay nothing.
 */
export function createTransformPool(workers: number): BatchTransformer {
  const threads = Math.max(0, workers - 1);
  let pool: Piscina | null = null;
  let poolError: Error | null = null;
  // Range writes of this thread and the pool's take turns (SQLite has one writer).
  const turns = newWriteTurns();
  useWriteTurns(turns);
  let here = false;
  let away = 0;
  const waiting: { job: Job; resolve: (rows: number) => void; reject: (error: unknown) => void }[] = [];

  const onThread = async (job: Job): Promise<number> => {
    if (poolError !== null) throw poolError;
    if (pool === null) {
      pool = new Piscina({
        filename: new URL("./transform-worker.mjs", import.meta.url).href,
        minThreads: 0,
        maxThreads: threads,
        idleTimeout: IDLE_TIMEOUT_MS,
        resourceLimits: HEAP_LIMITS,
        workerData: { writeTurns: turns },
      });
      pool.on("error", (error: Error) => {
        poolError = error;
      });
    }
    return (await pool.run(job)) as number;
  };

  // Hands waiting jobs to free executors: this thread first, then the pool's threads.
  const dispatch = (): void => {
    while (waiting.length > 0 && (!here || away < threads)) {
      const { job, resolve, reject } = waiting.shift()!;
      if (!here) {
        here = true;
        void runTransformJob(job).then(resolve, reject).finally(() => {
          here = false;
          dispatch();
        });
      } else {
        away++;
        void onThread(job).then(resolve, reject).finally(() => {
          away--;
          dispatch();
        });
      }
    }
  };
  const run = (job: Job): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      waiting.push({ job, resolve, reject });
      dispatch();
    });

  return {
    transform: (job: RangeJob) => run(job),
    replay: (job: ReplayJob) => run({ ...job, replay: true }),
    async close(): Promise<void> {
      const running = pool;
      pool = null;
      useWriteTurns(null);
      await running?.destroy();
    },
  };
}
