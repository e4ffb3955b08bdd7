import type { CommandRecord } from "./state-store.ts";
import type { CommandSummary } from "./results.ts";

/**
 * The running or last command as stats shows it, from the command row alone, so every replica answers
 * the same: rows per second over the time it has run (or ran), and while it runs (unpaused) the seconds
 * left at that rate. Null before the first command.
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
    etaSeconds: !record.running ? null : left === 0 ? 0 : rowsPerSecond === null || record.paused ? null : left / rowsPerSecond,
  };
}
