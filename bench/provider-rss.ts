import { readdirSync, readFileSync } from "node:fs";

/**
 * Peak resident memory of the dynamic-provider processes (the Node host the engine starts for our resources), read
 * from /proc/<pid>/status VmHWM while an operation runs. VmHWM is the kernel's own high-water mark, so sampling only
 * has to see each process once before it exits. Linux only; elsewhere it reports null.
 */
export class ProviderRssSampler {
  private peakKb = 0;
  private seen = false;
  private timer: NodeJS.Timeout | undefined;

  /** `match`: a string in the command line of the processes to watch. */
  constructor(private readonly match = "dynamic-provider") {}

  start(intervalMs = 25): void {
    this.peakKb = 0;
    this.seen = false;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): number | null {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.seen ? Math.round(this.peakKb / 1024) : null;
  }

  private sample(): void {
    let pids: string[];
    try {
      pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(this.match)) continue;
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (hwm) {
          this.seen = true;
          this.peakKb = Math.max(this.peakKb, Number(hwm[1]));
        }
      } catch {
        // The process exited between listing and reading.
      }
    }
  }
}
