/** What both clients do alike around the SDK: the views in sidebar order, and waiting to be online. */
import type { ClientState, ParleyClient } from "../client/core/index.js";
import { STATUS_VIEW, type ViewKey } from "./view-keys.js";

/** Views in sidebar order: status, rooms by name, DMs by name. */
export function viewsOf(state: ClientState): ViewKey[] {
  const byName = (a: string, b: string): number => a.localeCompare(b);
  const rooms = Object.values(state.rooms).map((r) => r.key);
  const dms = Object.values(state.dms).map((d) => d.key);
  return [STATUS_VIEW, ...rooms.sort(byName), ...dms.sort(byName)];
}

/** Resolves when the client is online, or after `ms` (a request then fails with a clear reason). */
export function waitOnline(client: ParleyClient, ms: number): Promise<void> {
  if (client.status.state === "online") return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = client.on("status", (s) => {
      if (s.state === "online" || s.state === "offline") done();
    });
  });
}
