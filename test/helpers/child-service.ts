import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const bin = join(import.meta.dirname, "../../bin/migrations.mjs");

/** A service running as a real child process, as an operator starts it. */
export interface ChildService {
  /** `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The process, for signals. */
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** POSTs a JSON body to the route with the dev password. */
  post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, and wait for a clean exit. */
  stop(): Promise<number | null>;
}

/** Starts `migrations serve --dev` with extra flags on a free port; resolves once it listens. */
export function startChildService(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildService> {
  const child = spawn(process.execPath, [bin, "serve", "--dev", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const baseUrl = match[1]!;
      resolve({
        baseUrl,
        child,
        log: () => output,
        async post(body) {
          const response = await fetch(`${baseUrl}/internal/migrations/`, {
            method: "POST",
            headers: { authorization: Buffer.from("dev").toString("base64"), "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          return { status: response.status, body: (await response.json()) as Record<string, unknown> };
        },
        async kill() {
          child.kill("SIGKILL");
          await exited;
        },
        async stop() {
          child.kill("SIGTERM");
          return exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${output}`));
    });
  });
}
