import { describe, expect, it } from "vitest";
import { MigrationState as S, STATE_PRIORITY, serviceState } from "../../src/core/states.ts";

describe("service state priority (CONTRACT §2)", () => {
  it("is finalized when nothing is unfinalized", () => {
    expect(serviceState([])).toBe(S.FINALIZED);
    expect(serviceState([S.FINALIZED, S.FINALIZED])).toBe(S.FINALIZED);
  });

  it("picks the first state of the priority list that any migration has", () => {
    for (let i = 0; i < STATE_PRIORITY.length; i++) {
      const lower = STATE_PRIORITY.slice(i);
      expect(serviceState([S.FINALIZED, ...[...lower].reverse()])).toBe(STATE_PRIORITY[i]);
    }
  });

  it("orders the seven states as the contract does", () => {
    expect(STATE_PRIORITY).toEqual([
      "migration_failed", "migration_running", "migration_required",
      "finalization_failed", "finalization_running", "finalization_required",
    ]);
  });
});
