import { describe, expect, it } from "vitest";
import { planCancel, planCommand } from "../../src/core/command-plan.ts";
import { COMMAND_TABLE, isRunCommand, type RunCommand } from "../../src/core/commands.ts";
import { ConflictError } from "../../src/core/errors.ts";
import { MigrationState as S, type MigrationState } from "../../src/core/states.ts";

const RUNNING = "Migration is running, only 'stats' command is allowed.";
const FIN_RUNNING = "Finalization is running, only 'stats' command is allowed.";
const failed = (cmd: string) => `Migration in a failed state. Reset before trying to ${cmd} again. Failed on: boom`;

// CONTRACT §3, one row per state; each cell is "run", "nothing" or the exact 400 text.
const table: [MigrationState, Record<RunCommand, string>][] = [
  [S.MIGRATION_REQUIRED, { migrate: "run", finalize: "run", reset: "run" }],
  [S.MIGRATION_RUNNING, { migrate: RUNNING, finalize: RUNNING, reset: RUNNING }],
  [S.FINALIZATION_RUNNING, { migrate: FIN_RUNNING, finalize: FIN_RUNNING, reset: FIN_RUNNING }],
  [S.MIGRATION_FAILED, { migrate: failed("migrate"), finalize: failed("finalize"), reset: "run" }],
  [S.FINALIZATION_FAILED, { migrate: failed("migrate"), finalize: failed("finalize"), reset: "run" }],
  [S.FINALIZATION_REQUIRED, { migrate: "nothing", finalize: "run", reset: "run" }],
  [S.FINALIZED, { migrate: "nothing", finalize: "nothing", reset: "nothing" }],
];

describe("command × state (CONTRACT §3)", () => {
  for (const [status, cells] of table) {
    for (const [command, expected] of Object.entries(cells) as [RunCommand, string][]) {
      it(`${command} in ${status} → ${expected}`, () => {
        const running = status === S.MIGRATION_RUNNING || status === S.FINALIZATION_RUNNING;
        const input = { status, running, stalled: false, current: 1, target: 2, exception: "boom" };
        if (expected === "run" || expected === "nothing") {
          expect(planCommand(command, input).action).toBe(expected);
        } else {
          expect(() => planCommand(command, input)).toThrow(new ConflictError(expected));
        }
      });
    }
  }

  it("a running reset blocks every other command with the migration text", () => {
    const input = { status: S.MIGRATION_FAILED, running: true, stalled: false, current: 0, target: 1, exception: "x" };
    expect(() => planCommand("migrate", input)).toThrow(RUNNING);
  });

  it("reset takes a stalled running command over; every other command still gets the running text", () => {
    const input = { status: S.MIGRATION_RUNNING, running: true, stalled: true, current: 0, target: 1, exception: null };
    expect(planCommand("reset", input)).toEqual({ action: "take-over" });
    expect(() => planCommand("migrate", input)).toThrow(RUNNING);
    expect(() => planCommand("finalize", input)).toThrow(RUNNING);
  });

  it("reset takes a paused running command over (it need not be resumed to be thrown away); migrate and finalize get the running text", () => {
    const input = { status: S.MIGRATION_RUNNING, running: true, stalled: false, paused: true, current: 0, target: 1, exception: null };
    expect(planCommand("reset", input)).toEqual({ action: "take-over" });
    expect(() => planCommand("migrate", input)).toThrow(RUNNING);
    expect(() => planCommand("finalize", input)).toThrow(RUNNING);
  });

  it.each(["migrate", "finalize", "reset"] as RunCommand[])("%s on a newer database is refused", (command) => {
    const input = { status: S.FINALIZED, running: false, stalled: false, current: 5, target: 3, exception: null };
    expect(() => planCommand(command, input)).toThrow(
      "The database has a higher migration index (5) than the registered migrations (3)",
    );
  });
});

// `cancel` decides on the command row alone: one cell per kind of running command.
const NOTHING = "No command is running; there is nothing to cancel.";
const RESET = "The running reset cannot be cancelled: it only drops the shadow work and ends by itself in moments.";
const SWAPPING = "finalize is swapping; it cannot be cancelled now.";
const cancelCells: [string, { command: RunCommand | null; running: boolean; owner: string | null; swapping: boolean }, string][] = [
  ["nothing ever ran", { command: null, running: false, owner: null, swapping: false }, NOTHING],
  ["the last migrate ended", { command: "migrate", running: false, owner: "h:1:x.1", swapping: false }, NOTHING],
  ["the last finalize ended in its swap", { command: "finalize", running: false, owner: "h:1:x.1", swapping: true }, NOTHING],
  ["a migrate runs", { command: "migrate", running: true, owner: "h:1:x.2", swapping: false }, "cancel h:1:x.2"],
  ["a finalize runs before its swap", { command: "finalize", running: true, owner: "h:1:x.3", swapping: false }, "cancel h:1:x.3"],
  ["a finalize is swapping", { command: "finalize", running: true, owner: "h:1:x.3", swapping: true }, SWAPPING],
  ["a reset runs", { command: "reset", running: true, owner: "h:1:x.4", swapping: false }, RESET],
];

describe("cancel × running command", () => {
  it("is a command of the table that does not run itself (like pause)", () => {
    expect(COMMAND_TABLE.cancel.runs).toBe(false);
    expect(isRunCommand("cancel")).toBe(false);
  });

  for (const [name, input, expected] of cancelCells) {
    it(`${name} → ${expected}`, () => {
      if (expected.startsWith("cancel ")) expect(planCancel(input)).toEqual({ action: "cancel", owner: expected.slice("cancel ".length) });
      else expect(() => planCancel(input)).toThrow(new ConflictError(expected));
    });
  }
});
