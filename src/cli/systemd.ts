/**
 * Readiness for systemd's `Type=notify` (deploy/parley.service): when systemd passes NOTIFY_SOCKET,
 * tell it the hub is ready with the `systemd-notify` program (Node cannot send to a Unix datagram
 * socket itself; the unit says `NotifyAccess=all` so the helper's message counts). Without
 * NOTIFY_SOCKET this does nothing.
 */
import { execFile } from "node:child_process";

export function notifySystemd(status: string, warn: (message: string) => void): void {
  if (!process.env["NOTIFY_SOCKET"]) return;
  execFile(
    "systemd-notify",
    ["--ready", `--pid=${process.pid}`, `--status=${status}`],
    { timeout: 10_000 },
    (error) => {
      if (error) warn(`could not tell systemd the hub is ready: ${error.message}`);
    },
  );
}
