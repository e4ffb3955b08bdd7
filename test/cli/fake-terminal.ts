import type { Terminal } from "../../src/cli/terminal.ts";

/** A Terminal that records what is written, as one transcript of stdout and a list of stderr lines. */
export function fakeTerminal(isTTY: boolean, columns = 100): Terminal & { stdout: string; stderr: string[] } {
  const terminal = {
    stdout: "",
    stderr: [] as string[],
    isTTY,
    columns,
    out: (line: string) => void (terminal.stdout += `${line}\n`),
    err: (line: string) => void terminal.stderr.push(line),
    write: (text: string) => void (terminal.stdout += text),
  };
  return terminal;
}
