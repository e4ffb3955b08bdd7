import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, cleanEnv, runCli, startServe, type CliResult } from "./cli-process.ts";

const root = mkdtempSync(join(tmpdir(), "cli-basics-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The flags an error message lists after `Valid flags: `. */
function validFlags(stderr: string): string[] {
  const listed = /Valid flags: (.*)$/m.exec(stderr)?.[1];
  if (listed === undefined) throw new Error(`no flag list in: ${stderr}`);
  return listed.split(", ");
}

/** Runs `migrations ARGS` with a reader of stdout that has left before anything was written. */
function runWithClosedStdout(args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout: "", stderr }));
  });
}

describe("migrations --version", () => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string };

  it.each(["--version", "-v"])("%s prints the package's version, exit 0", async (flag) => {
    expect(await runCli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});

describe("migrations --help", () => {
  it("names every command it dispatches, watch too, and the client commands' usage line lists them all", async () => {
    const [help, unknown] = await Promise.all([runCli(["--help"]), runCli(["nope"])]);
    expect(help.code).toBe(0);
    const commands = /Commands: (.*) \(see/.exec(unknown.stderr)![1]!.split(", ");
    expect(commands).toEqual(expect.arrayContaining(["serve", "migrate", "finalize", "reset", "pause", "resume", "stats", "watch"]));
    for (const command of commands) expect(help.stdout, command).toMatch(new RegExp(`^  ${command} +\\S`, "m"));
    const usage = /^Usage: migrations ([a-z|]+) \[flags\]$/m.exec(help.stdout)![1]!.split("|");
    expect(usage).toEqual(expect.arrayContaining(["migrate", "finalize", "reset", "pause", "resume", "stats", "watch"]));
    expect(commands).toEqual(expect.arrayContaining(usage));
    expect(help.stdout).toMatch(/^ {2}-v, --version +print the version/m);
  });

  it("shows every flag the client commands accept, --json too", async () => {
    const [help, refused] = await Promise.all([runCli(["--help"]), runCli(["stats", "--nope"])]);
    const flags = validFlags(refused.stderr);
    expect(flags).toContain("--json");
    for (const flag of flags) expect(help.stdout, flag).toMatch(new RegExp(`^ +(-\\w, )?${flag}\\b`, "m"));
  });

  it("serve --help shows every flag serve accepts", async () => {
    const [help, refused] = await Promise.all([runCli(["serve", "--help"]), runCli(["serve", "--nope"])]);
    const flags = validFlags(refused.stderr);
    expect(flags.length).toBeGreaterThan(10);
    for (const flag of flags) expect(help.stdout, flag).toMatch(new RegExp(`^ +(-\\w, )?${flag}\\b`, "m"));
  });
});

describe("serve on a port that is taken", () => {
  let holder: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve())));

  it("says so in one line, without a stack trace, exit 1", async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as { port: number };
    const result = await runCli(["serve", "--dev", "--port", String(port), "--database", `sqlite:${join(root, "taken.db")}`, "--migrations", root]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `cannot listen on 127.0.0.1:${port}: the port is already in use (another service?); choose another with --port\n`,
    });
  });
});

describe("a reader of stdout that leaves (migrations … | head -1)", () => {
  it("--help ends quietly, exit 0", async () => {
    expect(await runWithClosedStdout(["--help"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("stats and watch end quietly, exit 0", { timeout: 120_000 }, async () => {
    const serve = await startServe(["--dev", "--port", "0", "--database", `sqlite:${join(root, "pipe.db")}`, "--migrations", root, "--log-level", "warn"]);
    try {
      for (const command of ["stats", "watch"]) {
        expect(await runWithClosedStdout([command, "--url", serve.url]), command).toEqual({ code: 0, stdout: "", stderr: "" });
      }
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});
