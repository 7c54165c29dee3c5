import type { AnyEvent } from "../../protocol/events.js";
import type { Bus } from "../bus/bus.js";
import type { UserId } from "../store/store.js";

/** Publishes one event to the connections (on every node) of users `to`, which must be distinct. */
export function notify(bus: Bus, to: readonly UserId[], event: AnyEvent, exceptConn?: string): Promise<void> {
  const ids = to as UserId[];
  if (ids.length === 0) return Promise.resolve();
  return bus.publish(
    exceptConn === undefined
      ? { kind: "deliver", to: ids, event }
      : { kind: "deliver", to: ids, event, exceptConn },
  );
}
