/** Resolves with the first of `lines` (a service's log, growing) that matches `pattern`; throws after `ms` with the lines seen. */
export async function loggedLine(lines: readonly string[], pattern: RegExp, ms = 90_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = lines.find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no log line matched ${pattern}:\n${lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
