import { readFileSync } from "node:fs";

const SAMPLE_INTERVAL_MS = 50;

/** The `VmRSS` and `VmHWM` (peak RSS) of process `pid`, in kB, from /proc/<pid>/status (Linux). */
export function readMemory(pid: number): { rssKb: number; hwmKb: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (error) {
    throw new Error(`cannot read /proc/${pid}/status (the bench measures memory on Linux only): ${(error as Error).message}`, { cause: error });
  }
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name} line`);
    return Number(match[1]);
  };
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

/** Samples the RSS of a process every 50 ms until stopped. */
export class MemorySampler {
  private maxRssKb = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  /** Starts sampling `pid` at once. */
  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  /** Stops, and returns the largest sampled RSS and the kernel's high-water mark, in MB. */
  stop(): { sampledPeakMb: number; hwmMb: number; samples: number } {
    clearInterval(this.timer);
    const { hwmKb } = readMemory(this.pid);
    return { sampledPeakMb: this.maxRssKb / 1024, hwmMb: hwmKb / 1024, samples: this.samples };
  }

  private sample(): void {
    try {
      this.maxRssKb = Math.max(this.maxRssKb, readMemory(this.pid).rssKb);
      this.samples++;
    } catch {
      // The process may be gone; stop() reports that.
    }
  }
}
