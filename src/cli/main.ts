/** Entry point of the `migrations` command (loaded by bin/migrations.mjs through tsx). */
import { runCli } from "./run-cli.ts";
import { onClosedOutput, processTerminal } from "./terminal.ts";

onClosedOutput(process.argv[2] === "serve" ? "keep-running" : "exit");
const code = await runCli(process.argv.slice(2), process.env, processTerminal());
// serve may leave pool threads and sockets behind after close(); stdout and stderr are flushed by now.
if (process.argv[2] === "serve") process.exit(code);
process.exitCode = code;
