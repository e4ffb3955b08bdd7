import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

/** The real executable, as an operator runs it. */
export const BIN = join(import.meta.dirname, "../../bin/migrations.mjs");

/** The environment of the parent without any variable the CLI reads, so tests are hermetic. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["DATABASE_URL", "MIGRATIONS_DIR", "HOST", "PORT", "INTERNAL_AUTH_PASSWORD_FILE", "MIGRATION_WORKERS", "MIGRATIONS_DEV", "MIGRATIONS_URL"]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** What a finished command printed and how it exited. */
export interface CliResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/** Runs `migrations ARGS` to its end. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(options.env), cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `migrations serve` child process that has printed its listening line. */
export interface ServeProcess {
  /** `http://HOST:PORT` parsed from the first stdout line containing `listening on`. */
  url: string;
  /** The child process. */
  child: ChildProcess;
  /** Everything printed so far, stdout then stderr. */
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout matches `pattern`; rejects after `timeoutMs` (default 10 s). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `migrations serve ARGS` (this repo's executable, or `bin`) and resolves once stdout has a line
 * `… listening on http://HOST:PORT`.
 */
export function startServe(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; bin?: string } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [options.bin ?? BIN, "serve", ...args], { env: cleanEnv(options.env), cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${stdout}\n${stderr}`));
    });
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.includes("listening on http://"));
      const match = line ? /listening on (http:\/\/\S+:\d+)/.exec(line) : null;
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        child,
        output: () => ({ stdout, stderr }),
        async waitForStdout(pattern, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (!pattern.test(stdout)) {
            if (Date.now() > deadline) throw new Error(`stdout never matched ${pattern}:\n${stdout}`);
            await new Promise((next) => setTimeout(next, 20));
          }
        },
        stop: () => {
          child.kill("SIGTERM");
          return exited;
        },
      });
    });
  });
}
