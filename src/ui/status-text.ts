/** The connection state in a few words, as both clients show it. */
import type { ConnectionStatus } from "../client/core/index.js";

export function connectionText(status: ConnectionStatus, now: number = Date.now()): string {
  switch (status.state) {
    case "connecting":
      return status.attempt > 1 ? `connecting (attempt ${status.attempt})` : "connecting";
    case "online":
      return status.insecure ? "online (no TLS)" : "online";
    case "reconnecting":
      return `reconnecting in ${Math.max(0, Math.ceil((status.retryAt - now) / 1000))}s`;
    case "offline":
      return `offline: ${status.reason}`;
  }
}
