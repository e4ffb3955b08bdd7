import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { onCleanup } from "./cleanup.ts";

const BIN = join(import.meta.dirname, "../bin/migrations.mjs");
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 200;

/** Settings an operator would pass to `migrations serve`. */
export interface ServiceSettings {
  /** `--database`: `sqlite:PATH` or `postgres://…`. */
  database: string;
  /** `--migrations`: the directory of the bench migration. */
  migrationsDir: string;
  /** Where the password file goes (a scratch directory of the bench). */
  scratchDir: string;
  /** `--workers`; undefined = the service's default (not passed). */
  workers?: number;
}

/** The real service, running as a child process on a free port of 127.0.0.1. */
export interface ServiceProcess {
  /** `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The password the route expects. */
  password: string;
  /** The pid of the service process (the Node process that runs the pools' threads). */
  pid: number;
  /** The last lines it printed (stdout and stderr), for failure reports. */
  logTail(): string;
  /** SIGTERM, then SIGKILL if it has not exited after 15 s. */
  stop(): Promise<void>;
}

// Settings the service would read from the environment behind the bench's back.
const SERVICE_ENV = ["DATABASE_URL", "MIGRATIONS_DIR", "HOST", "PORT", "INTERNAL_AUTH_PASSWORD_FILE", "MIGRATION_WORKERS", "MIGRATIONS_DEV"];

/**
 * Starts `node bin/migrations.mjs serve …` and resolves once its first line says where it listens and its
 * command thread is warm (its log says `command thread ready`, or that warming up failed): an operator's
 * service runs long before its migrate, so a scenario's times leave out the thread's one-time start.
 */
export async function startService(settings: ServiceSettings): Promise<ServiceProcess> {
  const password = randomBytes(16).toString("hex");
  const passwordFile = join(settings.scratchDir, "password");
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const args = [BIN, "serve", "--database", settings.database, "--migrations", settings.migrationsDir, "--port", "0", "--password-file", passwordFile];
  if (settings.workers !== undefined) args.push("--workers", String(settings.workers));
  const env = { ...process.env };
  for (const key of SERVICE_ENV) delete env[key];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const lines: string[] = [];
  const remember = (text: string) => {
    lines.push(...text.split("\n").filter((line) => line.length > 0));
    if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
  };
  const logTail = () => lines.join("\n");
  const stop = onCleanup(() => stopChild(child, exited));
  try {
    const baseUrl = await listenUrl(child, exited, remember, logTail);
    await commandThreadWarm(lines, logTail);
    return { baseUrl, password, pid: child.pid!, logTail, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listenUrl(
  child: ChildProcess,
  exited: Promise<number | null>,
  remember: (text: string) => void,
  logTail: () => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let listening = false;
    const timer = setTimeout(() => reject(new Error(`the service did not start within ${START_TIMEOUT_MS} ms:\n${logTail()}`)), START_TIMEOUT_MS);
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      remember(text);
      if (listening) return;
      stdout += text;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      listening = true;
      clearTimeout(timer);
      const first = stdout.slice(0, newline);
      const match = /^migration service listening on (http:\/\/[^\s]+)$/.exec(first.trim());
      if (match) resolve(match[1]!.replace(/\/$/, ""));
      else reject(new Error(`the service's first line is not "migration service listening on …": ${JSON.stringify(first)}\n${logTail()}`));
    });
    child.stderr!.on("data", (chunk: Buffer) => remember(chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`the service exited with code ${code} before listening:\n${logTail()}`));
    });
  });
}

async function commandThreadWarm(lines: readonly string[], logTail: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!lines.some((line) => /command thread ready|warming up the command thread failed/.test(line))) {
    if (Date.now() > deadline) throw new Error(`the service's command thread was not ready within ${START_TIMEOUT_MS} ms:\n${logTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
