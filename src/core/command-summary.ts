import type { CommandRecord, RateBase } from "./state-store.ts";
import type { CommandSummary } from "./results.ts";

/**
 * The running or last command as stats shows it, from the command row alone, so every replica answers
 * the same: rows per second over the time it has run (or ran), and while it runs (unpaused) the seconds
 * left. The ETA's rate counts from the run's first row-by-row transform (`rateBase`) when it began: rows a
 * database copy landed at once before it come at a pace the transforms that remain will not keep. Before
 * it, the rate over the whole run. Null before the first command.
 */
export function commandSummary(record: CommandRecord, now: number): CommandSummary | null {
  if (record.command === null) return null;
  const end = record.running ? now : (record.endedAt ?? now);
  const seconds = record.startedAt === null ? 0 : Math.max(0, end - record.startedAt) / 1000;
  const rowsPerSecond = seconds > 0 && record.migrated > 0 ? record.migrated / seconds : null;
  const left = Math.max(0, record.count - record.migrated);
  return {
    name: record.command,
    running: record.running,
    runner: record.owner,
    startedAt: record.startedAt,
    endedAt: record.running ? null : record.endedAt,
    rowsPerSecond,
    etaSeconds: !record.running ? null : left === 0 ? 0 : record.paused ? null : secondsLeft(left, record.rateBase === null ? rowsPerSecond : rateSince(record.rateBase, record.migrated, now)),
  };
}

/** Rows per second since `base`, or null while none moved since. */
function rateSince(base: RateBase, migrated: number, now: number): number | null {
  const seconds = Math.max(0, now - base.at) / 1000;
  return seconds > 0 && migrated > base.migrated ? (migrated - base.migrated) / seconds : null;
}

function secondsLeft(rows: number, rate: number | null): number | null {
  return rate === null ? null : rows / rate;
}
