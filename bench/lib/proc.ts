/** CPU time and memory of a process, read from /proc (Linux), and the generator's own CPU use. */
import { readFileSync } from "node:fs";

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  atMs: number;
  cpuMs: number;
  rssKiB: number;
}

export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return {
    atMs: performance.now(),
    cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND,
    rssKiB: Number(rss ?? 0),
  };
}

export function peakRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
}

/** CPU share (1.0 = one core busy) of a process between two samples. */
export function cpuShare(a: ProcSample, b: ProcSample): number {
  const wall = b.atMs - a.atMs;
  return wall > 0 ? (b.cpuMs - a.cpuMs) / wall : 0;
}

/** The generator's own CPU (all its threads) over an interval. */
export class SelfCpu {
  private readonly start = process.cpuUsage();
  private readonly t0 = performance.now();

  share(): number {
    const used = process.cpuUsage(this.start);
    const wallMs = performance.now() - this.t0;
    return wallMs > 0 ? (used.user + used.system) / 1000 / wallMs : 0;
  }
}
