import { spawn } from "node:child_process";
import { join } from "node:path";
import type { BenchStore } from "./bench-database.ts";
import { onCleanup } from "./cleanup.ts";
import { followCommand, type CommandRun } from "./follow-command.ts";
import { TABLE } from "./items-data.ts";
import { awaitLockWindow } from "./lock-window.ts";
import { writeMigration } from "./migration-sources.ts";
import { RouteClient } from "./route-client.ts";
import { startService } from "./service-process.ts";
import { percentile, sleep } from "./timing.ts";

/** Rows of scenario (h) at most: the writes, not the table size, are what it measures. */
export const WRITES_SCENARIO_ROWS = 200_000;
/** How long the application writes alone before migrate, and waits between migrate and finalize, in ms. */
const PHASE_MS = 2_000;

/** What scenario (h) measured: the application's writes and the replay through migrate and finalize. */
export interface WritesResult {
  rows: number;
  /** Writes per second the application committed alone, before migrate. */
  baselineWritesPerS: number;
  /** Writes per second it committed while migrate ran. */
  migrateWritesPerS: number;
  /** Its write latency p99 while migrate ran, in ms. */
  migrateWriteP99Ms: number;
  /** Its longest write while finalize ran, in ms: what the application waited for the swap. */
  finalizeWriteMaxMs: number;
  /** Writes that failed (refused or errored): must be none. */
  failedWrites: number;
  /** The largest replay backlog stats showed, and the backlog every 250 ms (seconds since migrate, changes). */
  maxBacklog: number;
  backlog: [number, number][];
  /** Migrate and finalize wall times, in ms. */
  migrateMs: number;
  finalizeMs: number;
  /** The finalize lock window and the changes replayed inside it. */
  lockWindowMs: number;
  replayedUnderLock: number;
}

interface WriterOutput {
  startedAt: number;
  writes: [number, number][];
  errors: string[];
}

/** Starts bench/app-writer.ts on `url`; `stop()` ends it and returns what it did. */
async function startWriter(url: string, rows: number): Promise<{ stop(): Promise<WriterOutput> }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "app-writer.ts"), url, String(rows)], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const kill = onCleanup(async () => {
    child.kill("SIGKILL");
    await exited;
  });
  for (const deadline = Date.now() + 30_000; !stdout.startsWith("ready\n"); await sleep(10)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the application writer did not start: ${stderr}`);
  }
  return {
    async stop() {
      child.stdin.end();
      const code = await exited;
      await kill();
      if (code !== 0) throw new Error(`the application writer exited with ${code}: ${stderr}`);
      return JSON.parse(stdout.slice("ready\n".length)) as WriterOutput;
    },
  };
}

/** Polls the replay backlog of `items` every 250 ms until stopped. */
function sampleBacklog(client: RouteClient, from: number): { stop(): Promise<[number, number][]> } {
  const samples: [number, number][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const stats = (await client.stats()) as { writes?: Record<string, { backlog: number }> };
      samples.push([Number(((Date.now() - from) / 1000).toFixed(2)), stats.writes?.[TABLE]?.backlog ?? 0]);
      await sleep(250);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Writes per second among `writes` (offsets in ms since `startedAt`) between the epoch times `from` and `to`. */
function rateBetween(out: WriterOutput, from: number, to: number): number {
  const count = out.writes.filter(([at]) => out.startedAt + at >= from && out.startedAt + at < to).length;
  return (count * 1000) / Math.max(1, to - from);
}

/**
 * Scenario (h): an application updates random rows of `items` as fast as one connection lets it, alone
 * for 2 s, then all through migrate (a transform, the table captured), 2 s of waiting for finalize (the
 * replay between commands) and a verbose finalize. The data is checked exactly afterwards.
 */
export async function runWrites(store: BenchStore, rows: number): Promise<WritesResult> {
  const db = await store.create(rows);
  try {
    const expected = await db.fingerprint(true);
    const migrationsDir = await writeMigration(db.scratchDir, "transform");
    const service = await startService({ database: db.serviceUrl, migrationsDir, scratchDir: db.scratchDir });
    const writer = await startWriter(db.serviceUrl, rows);
    let out: WriterOutput | undefined;
    let migrate: CommandRun;
    let finalize: CommandRun;
    let backlog: [number, number][];
    let lockWindowMs: number;
    const times = { migrate: 0, migrated: 0, finalize: 0, finalized: 0 };
    try {
      const client = new RouteClient(service.baseUrl, service.password);
      await sleep(PHASE_MS);
      times.migrate = Date.now();
      const sampler = sampleBacklog(client, times.migrate);
      try {
        migrate = await followCommand(client, "migrate", "finalization_required");
        times.migrated = Date.now();
        await sleep(PHASE_MS);
        times.finalize = Date.now();
        finalize = await followCommand(client, "finalize", "finalized", true);
        times.finalized = Date.now();
      } finally {
        backlog = await sampler.stop();
      }
      out = await writer.stop();
      lockWindowMs = await awaitLockWindow(client, finalize.final);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- service log (tail) ---\n${service.logTail()}`, { cause: error });
    } finally {
      if (out === undefined) await writer.stop().catch(() => {});
      await service.stop();
    }
    const found = await db.fingerprint(false);
    if (found !== expected) throw new Error(`after finalize under writes, "${TABLE}" is not the transform of its rows:\n  expected ${expected}\n  found    ${found}`);
    const during = (from: number, to: number) => out.writes.filter(([at]) => out.startedAt + at >= from && out.startedAt + at < to).map(([, ms]) => ms);
    const replayed = /^finalization: replayed (\d+) change\(s\) under the lock$/m.exec(finalize.final.output ?? "");
    return {
      rows,
      baselineWritesPerS: rateBetween(out, times.migrate - PHASE_MS, times.migrate),
      migrateWritesPerS: rateBetween(out, times.migrate, times.migrated),
      migrateWriteP99Ms: percentile(during(times.migrate, times.migrated), 99),
      finalizeWriteMaxMs: percentile(during(times.finalize, times.finalized + 50), 100),
      failedWrites: out.errors.length,
      maxBacklog: Math.max(0, ...backlog.map(([, n]) => n)),
      backlog,
      migrateMs: migrate.wallMs,
      finalizeMs: finalize.wallMs,
      lockWindowMs,
      replayedUnderLock: replayed ? Number(replayed[1]) : 0,
    };
  } finally {
    await db.drop();
  }
}
