import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { Piscina } from "piscina";
import type { BatchTransformer, RangeJob, ReplayJob } from "../engine/types.ts";
import { closeThreadConnections } from "../stores/connection-slots.ts";
import { newWriteTurns, useWriteTurns } from "../stores/write-turns.ts";
import runTransformJob from "./transform-task.ts";

/**
 * Idle transform threads stop after this many ms. The command thread keeps its pool across commands
 * (thread-resources.ts), so a thread started by one command serves the next ones' ranges without paying
 * for its start again; an idle thread holds about 50 MB of RSS, and no connection once idle for a second.
 */
export const TRANSFORM_IDLE_TIMEOUT_MS = 5 * 60_000;
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
 * Pool threads start only when they can add speed: this thread was busy at least SATURATED of the time
 * while it ran jobs (its event loop utilization over at least SATURATION_WINDOW_MS), and the machine had
 * at least IDLE_CPUS processors idle meanwhile. A thread costs most of a second of CPU to start (its own
 * TypeScript loader); where the database server or other processes already use the other processors (a
 * database on the same machine), it would only compete with them.
 */
const SATURATED = 0.9;
const SATURATION_WINDOW_MS = 250;
const IDLE_CPUS = 0.75;

/** Idle time of all processors together, in ms. */
function idleCpuMs(): number {
  return cpus().reduce((sum, cpu) => sum + cpu.times.idle, 0);
}

/**
 * Jobs an executor runs at once. A PostgreSQL range streams (the database reads, this thread transforms,
 * the database writes), and a second one on the same thread fills the gaps where the first waits at its
 * start and end; each has connections of its own (connection-slots.ts).
 */
const JOBS_PER_EXECUTOR = 2;

/**
 * Runs range and replay jobs on `workers` executors, two jobs each at a time: the calling thread (the
 * command's, whose modules and TypeScript loader are loaded already) runs jobs itself, and `workers - 1`
 * piscina threads run the others, each job on database connections of its own. A thread costs most of a
 * second of CPU to start (its own TypeScript loader), which the calling thread does not pay: with
 * `--workers 1` no thread starts at all. Threads start when a job finds the calling thread busy, so
 * commands without transforms pay nothing; once up, they take jobs at once, for as long as the pool is
 * kept (the command thread keeps it across commands) and until they stop after TRANSFORM_IDLE_TIMEOUT_MS idle.
 */
export function createTransformPool(workers: number): BatchTransformer {
  const threads = Math.max(0, workers - 1);
  let pool: Piscina | null = null;
  let poolError: Error | null = null;
  // Range writes of this thread and the pool's take turns (SQLite has one writer).
  const turns = newWriteTurns();
  useWriteTurns(turns);
  let here = 0;
  let away = 0;
  let since: { loop: ReturnType<typeof performance.eventLoopUtilization>; idle: number } | null = null;
  // Whether the pool's threads take jobs: from the first window in which they could add speed (see SATURATED).
  const threadsWanted = (): boolean => {
    if (threads === 0) return false;
    // Threads that are up (started by this command or an earlier one) cost nothing more to use.
    if (pool !== null && pool.threads.length > 0) return true;
    const now = { loop: performance.eventLoopUtilization(), idle: idleCpuMs() };
    if (since === null) {
      since = now;
      return false;
    }
    const window = performance.eventLoopUtilization(now.loop, since.loop);
    const elapsed = window.active + window.idle;
    if (elapsed < SATURATION_WINDOW_MS) return false;
    const idleCpus = (now.idle - since.idle) / elapsed;
    since = now;
    return window.utilization >= SATURATED && idleCpus >= IDLE_CPUS;
  };
  const waiting: { job: Job; resolve: (rows: number) => void; reject: (error: unknown) => void }[] = [];

  const onThread = async (job: Job): Promise<number> => {
    if (poolError !== null) {
      // The job fails with it; the next one starts a new pool.
      const error = poolError;
      poolError = null;
      const failed = pool;
      pool = null;
      await failed?.destroy();
      throw error;
    }
    if (pool === null) {
      pool = new Piscina({
        filename: new URL("./transform-worker.mjs", import.meta.url).href,
        minThreads: 0,
        maxThreads: threads,
        concurrentTasksPerWorker: JOBS_PER_EXECUTOR,
        idleTimeout: TRANSFORM_IDLE_TIMEOUT_MS,
        // Between jobs a thread's event loop runs (no Atomics.wait), so its idle range connections close.
        atomics: "disabled",
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
    while (waiting.length > 0 && (here < JOBS_PER_EXECUTOR || (away < threads * JOBS_PER_EXECUTOR && threadsWanted()))) {
      const { job, resolve, reject } = waiting.shift()!;
      if (here < JOBS_PER_EXECUTOR) {
        here++;
        void runTransformJob(job).then(resolve, reject).finally(() => {
          here--;
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
      await Promise.all([running?.destroy(), closeThreadConnections()]);
    },
  };
}
