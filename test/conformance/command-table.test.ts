import { describe, expect, it } from "vitest";
import { FACES } from "../helpers/faces.ts";
import { reachState } from "../helpers/reach-state.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";

const RUNNING = "Migration is running, only 'stats' command is allowed.";
const FIN_RUNNING = "Finalization is running, only 'stats' command is allowed.";
const failedOn = (cmd: string, exception: string) =>
  `Migration in a failed state. Reset before trying to ${cmd} again. Failed on: ${exception}`;

type Cell = { run: string } | { nothing: true } | { conflict: (exception: string) => string };

/** CONTRACT §3: state → command → expected outcome ("run" names the state the command ends in). */
const TABLE: Record<string, Record<"migrate" | "finalize" | "reset", Cell>> = {
  migration_required: { migrate: { run: "finalization_required" }, finalize: { run: "finalized" }, reset: { run: "migration_required" } },
  migration_running: { migrate: { conflict: () => RUNNING }, finalize: { conflict: () => RUNNING }, reset: { conflict: () => RUNNING } },
  finalization_running: { migrate: { conflict: () => FIN_RUNNING }, finalize: { conflict: () => FIN_RUNNING }, reset: { conflict: () => FIN_RUNNING } },
  migration_failed: {
    migrate: { conflict: (e) => failedOn("migrate", e) },
    finalize: { conflict: (e) => failedOn("finalize", e) },
    reset: { run: "migration_required" },
  },
  finalization_failed: {
    migrate: { conflict: (e) => failedOn("migrate", e) },
    finalize: { conflict: (e) => failedOn("finalize", e) },
    reset: { run: "migration_required" },
  },
  finalization_required: { migrate: { nothing: true }, finalize: { run: "finalized" }, reset: { run: "migration_required" } },
  finalized: { migrate: { nothing: true }, finalize: { nothing: true }, reset: { nothing: true } },
};

// Each store runs the table once, through its own face (SQLite: the JSON route; PostgreSQL: a generated
// client), so both faces meet real stores; that every face answers alike is rpc-faces.test.ts's business.
STORE_TARGETS.forEach((target, i) => {
  const face = FACES[i % FACES.length]!;
  describe(`CONTRACT §3 on ${target.name} through ${face.name}`, () => {
    for (const [state, row] of Object.entries(TABLE)) {
      for (const [cmd, cell] of Object.entries(row) as ["migrate" | "finalize" | "reset", Cell][]) {
        // Concurrent: each cell has its own database and service, and most of a cell is waiting on them.
        it.concurrent(`${cmd} in ${state}`, async ({ onTestFinished }) => {
          const staged = await reachState(target, state);
          onTestFinished(() => staged.dispose());
          const before = (await staged.service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
          const answer = await face.send(staged.service, cmd);
          if ("conflict" in cell) {
            expect(answer).toEqual({ ok: false, status: face.conflict, message: cell.conflict(String(before.exception)) });
            // A refused command changes nothing.
            const after = (await staged.service.post({ cmd: "stats" })).body.stats as Record<string, unknown>;
            expect(after.status).toBe(state);
          } else if ("nothing" in cell) {
            expect(answer).toMatchObject({ ok: true, status: state });
            expect(answer).not.toHaveProperty("exception");
          } else {
            expect(answer.ok).toBe(true);
            const final = await staged.service.settle();
            expect(final.status).toBe(cell.run);
            expect(final).not.toHaveProperty("exception");
            if (answer.ok && !answer.status.endsWith("_running")) expect(answer.status).toBe(cell.run);
          }
        });
      }
    }
  });
});
