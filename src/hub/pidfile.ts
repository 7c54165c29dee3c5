/**
 * `<data>/parley.pid`: which process serves a data folder, so `parley admin` and `parley restore` can
 * tell a running hub from a stopped one. A file left by a crash names a dead process and counts as absent.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PID_FILE = "parley.pid";

export interface RunningHubInfo {
  pid: number;
  url: string;
}

export function writePidFile(dataDir: string, url: string): void {
  writeFileSync(join(dataDir, PID_FILE), `${JSON.stringify({ pid: process.pid, url })}\n`, { mode: 0o644 });
}

export function removePidFile(dataDir: string): void {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, PID_FILE), "utf8")) as RunningHubInfo;
    // Only our own: another hub may have started on the folder since (it would have refused, but still).
    if (info.pid === process.pid) rmSync(join(dataDir, PID_FILE), { force: true });
  } catch {
    // Nothing to remove.
  }
}

/** The live hub serving `dataDir`, if any. */
export function runningHub(dataDir: string): RunningHubInfo | undefined {
  let info: RunningHubInfo;
  try {
    info = JSON.parse(readFileSync(join(dataDir, PID_FILE), "utf8")) as RunningHubInfo;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(info.pid) || info.pid === process.pid) return undefined;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — still running.
    return (err as NodeJS.ErrnoException).code === "EPERM" ? info : undefined;
  }
}
