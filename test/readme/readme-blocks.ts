import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildService } from "../helpers/child-service.ts";

/** The repository root. */
export const ROOT = join(import.meta.dirname, "../..");
/** The README's text. */
export const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** Fenced blocks of one language, in README order. */
export function fencedBlocks(language: string): string[] {
  return [...README.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

/** Polls `stats` until no command runs. */
export async function waitUntilNotRunning(service: ChildService): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const stats = (await service.post({ cmd: "stats" })).body.stats as { status: string };
    if (!stats.status.endsWith("_running")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("command still running after 30 s");
}
