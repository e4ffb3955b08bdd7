import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StoreResults } from "./figures.ts";

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Writes `<out>/<store>.json` (every figure) and `<out>/<store>.md` (the printed table); returns their paths. */
export async function writeResults(out: string, results: StoreResults, table: string): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const json = join(out, `${results.store}.json`);
  const md = join(out, `${results.store}.md`);
  await writeAtomically(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeAtomically(md, table);
  return [json, md];
}
