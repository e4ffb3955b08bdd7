import { formatCount } from "./format-stats.ts";

/** Seconds as `m:ss` (or `h:mm:ss`). */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms as [number, number, number];
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

/**
 * Tracks `migratable_models` samples to draw a one-line bar with rate and ETA. The ETA is the service's
 * (`command.eta_seconds`, from the rate of the transforms that remain) when it has one, else the rate seen here.
 */
export class ProgressBar {
  private first: { at: number; migrated: number } | null = null;

  /** `width` is the terminal width; the line never exceeds it. */
  constructor(private readonly width: number) {}

  /** The bar for the latest sample, e.g. `[=====>    ]  1,200/5,000 rows  24.0%  800 rows/s  ETA 0:05`; empty while nothing is counted. */
  render(count: number, migrated: number, now: number = Date.now(), serviceEta: number | null = null): string {
    if (count <= 0) return "";
    if (this.first === null || migrated < this.first.migrated) this.first = { at: now, migrated };
    const fraction = Math.min(1, migrated / count);
    const elapsed = (now - this.first.at) / 1000;
    const rate = elapsed > 0 ? (migrated - this.first.migrated) / elapsed : 0;
    const seconds = serviceEta ?? (rate > 0 ? (count - migrated) / rate : null);
    const eta = seconds !== null ? `ETA ${duration(seconds)}` : "ETA --:--";
    const text = `  ${formatCount(migrated)}/${formatCount(count)} rows  ${(fraction * 100).toFixed(1)}%  ${formatCount(rate)} rows/s  ${eta}`;
    const barWidth = Math.max(10, Math.min(40, this.width - text.length - 3));
    const filled = Math.round(fraction * barWidth);
    const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (fraction >= 1 ? "=" : ">") : "") + " ".repeat(barWidth - filled);
    return `[${bar}]${text}`.slice(0, Math.max(0, this.width - 1));
  }
}
