import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.ts";
import { reportEnd } from "../../src/cli/run-command.ts";
import type { StatsView } from "../../src/cli/stats-view.ts";
import { fakeTerminal } from "./fake-terminal.ts";

/** Stats as the CLI sees them at the end of a followed command. */
function ended(status: StatsView["status"], output: string, exception?: string): StatsView {
  return {
    status, output, ...(exception === undefined ? {} : { exception }),
    current_migration_index: 0, target_migration_index: 1, migratable_models: { count: 0, migrated: 0 },
    warnings: [], tables: {}, command: null, writes: {}, migrations: [],
  };
}

describe("the end of a followed command", () => {
  it("a finalize that ended in finalization_required did not finalize: exit 1, and stderr says to run it again", () => {
    const terminal = fakeTerminal(false);
    const code = reportEnd(ended("finalization_required", "finalization started\nfinalization not done: …\n"), terminal, "finalize");
    expect(code).toBe(ExitCode.FAILED);
    expect(terminal.stdout).toBe("Status: finalization_required (migration index 0 of 1)\n");
    expect(terminal.stderr).toEqual([
      "Not finalized: the finalize ended without swapping the tables (the output above says why); nothing was lost, run `migrations finalize` again.",
    ]);
  });

  it("a migrate that ends in finalization_required succeeded: exit 0", () => {
    const terminal = fakeTerminal(false);
    expect(reportEnd(ended("finalization_required", "migration started\nmigration finished\n"), terminal, "migrate")).toBe(ExitCode.OK);
    expect(terminal.stderr).toEqual([]);
  });

  it("a failed state prints the exception and exits 1; finalized exits 0", () => {
    const failed = fakeTerminal(false);
    expect(reportEnd(ended("finalization_failed", "", "boom"), failed, "finalize")).toBe(ExitCode.FAILED);
    expect(failed.stderr).toEqual(["Exception: boom"]);
    expect(reportEnd(ended("finalized", ""), fakeTerminal(false), "finalize")).toBe(ExitCode.OK);
  });
});
