import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { onCleanup } from "./cleanup.ts";
import { PROBE_ROLES, type ProbeReport, type ProbeRole } from "./probe-protocol.ts";
import { median, percentile } from "./timing.ts";

const MODULE = join(import.meta.dirname, "probe-connection.ts");
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** How long the probe runs alone before the finalize it measures: its baseline, in ms. */
export const PROBE_BASELINE_MS = 1_000;

/** The wall clock in epoch ms with sub-ms resolution, comparable across the bench's processes. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** What one probe connection saw around one finalize. */
export interface ProbeStall {
  role: ProbeRole;
  /** Median and p99 latency of its statements during the baseline, in ms. */
  baselineMedianMs: number;
  baselineP99Ms: number;
  /** Its longest statement that overlapped the finalize (from sending finalize until stats showed finalized), in ms. */
  stallMs: number;
  /** The stall minus the baseline median: what the finalize added, in ms. */
  stallOverBaselineMs: number;
  /** Statements of it that overlapped the finalize. */
  statements: number;
  /** Its statements that failed, over the whole probe (none in a good run), and the first few messages. */
  errors: number;
  firstErrors: string[];
}

/** The probe's connections, each a process of its own, running until stopped. */
export interface Probe {
  /** Stops every connection and returns what each recorded (once; a second call returns the same). */
  stop(): Promise<ProbeReport[]>;
}

function startConnection(url: string, role: ProbeRole, tables: readonly string[], rowsPerTable: number): Promise<{ child: ChildProcess; report: Promise<ProbeReport> }> {
  const child = fork(MODULE, [url, role, tables.join(","), String(rowsPerTable)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const kill = onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  const report = new Promise<ProbeReport>((resolve, reject) => {
    child.on("message", (message) => {
      if (typeof message === "object") resolve(message as unknown as ProbeReport);
    });
    void exited.then((code) => reject(new Error(`the ${role} probe exited with ${code} before reporting: ${stderr}`)));
  });
  report.catch(() => undefined).finally(() => void kill());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${role} probe did not start within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    child.on("message", (message) => {
      if (message !== "ready") return;
      clearTimeout(timer);
      resolve({ child, report });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the ${role} probe exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

/**
 * Starts the application probe on `url`: a reader and a writer of `tables` (a random table and key each
 * time) and a writer of an unrelated table, each on its own connection in its own process.
 */
export async function startProbe(url: string, tables: readonly string[], rowsPerTable: number): Promise<Probe> {
  const started = await Promise.allSettled(PROBE_ROLES.map((role) => startConnection(url, role, tables, rowsPerTable)));
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    for (const result of started) if (result.status === "fulfilled") result.value.child.kill("SIGKILL");
    throw failed.reason;
  }
  const connections = started.map((result) => (result as PromiseFulfilledResult<Awaited<ReturnType<typeof startConnection>>>).value);
  let stopped: Promise<ProbeReport[]> | undefined;
  return {
    stop() {
      stopped ??= (() => {
        for (const { child } of connections) if (child.connected) child.send("stop");
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the probe did not stop within ${STOP_TIMEOUT_MS} ms`)), STOP_TIMEOUT_MS).unref());
        return Promise.race([Promise.all(connections.map(({ report }) => report)), timeout]);
      })();
      return stopped;
    },
  };
}

/**
 * Each connection's baseline (its statements sent in the PROBE_BASELINE_MS before `from`) and its longest
 * statement overlapping [`from`, `to`] (epoch ms): the stall it saw.
 */
export function stallsOf(reports: readonly ProbeReport[], from: number, to: number): ProbeStall[] {
  return reports.map(({ role, samples, errors }) => {
    const baseline = samples.filter(([sent]) => sent >= from - PROBE_BASELINE_MS && sent < from).map(([, ms]) => ms);
    const during = samples.filter(([sent, ms]) => sent < to && sent + ms > from);
    if (baseline.length === 0 || during.length === 0) throw new Error(`the ${role} probe recorded no statement ${baseline.length === 0 ? "before" : "during"} the finalize`);
    return {
      role,
      baselineMedianMs: median(baseline),
      baselineP99Ms: percentile(baseline, 99),
      stallMs: Math.max(...during.map(([, ms]) => ms)),
      stallOverBaselineMs: Math.max(...during.map(([, ms]) => ms)) - median(baseline),
      statements: during.length,
      errors: errors.length,
      firstErrors: errors.slice(0, 3),
    };
  });
}
