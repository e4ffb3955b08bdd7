import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "buf-gen-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe("the contract in proto/", () => {
  it("passes buf lint (STANDARD)", () => {
    expect(() => execFileSync("npx", ["buf", "lint"], { cwd: root, stdio: "pipe" })).not.toThrow();
  });

  it("matches the committed generated code in src/gen (run `npm run generate` when this fails)", () => {
    const template = readFileSync(join(root, "buf.gen.yaml"), "utf8").replace("out: src/gen", `out: ${join(scratch, "gen")}`);
    writeFileSync(join(scratch, "buf.gen.yaml"), template);
    execFileSync("npx", ["buf", "generate", "--template", join(scratch, "buf.gen.yaml")], { cwd: root, stdio: "pipe" });
    const committed = join(root, "src/gen");
    const fresh = join(scratch, "gen");
    expect(filesUnder(fresh)).toEqual(filesUnder(committed));
    for (const file of filesUnder(fresh)) {
      expect(readFileSync(join(fresh, file), "utf8"), file).toBe(readFileSync(join(committed, file), "utf8"));
    }
  });
});
