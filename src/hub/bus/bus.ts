/**
 * Fan-out between the domain and the gateways of every hub node.
 *
 * Contract: messages published by one node reach every subscriber on every node (including the
 * publisher's own), in publish order per publishing node. Delivery is at-most-once: a node that may
 * have missed messages (a reconnect to the broker) is told through `onGap` and repairs from the store.
 */
import type { AnyEvent } from "../../protocol/events.js";
import type { UserId } from "../store/store.js";

/** Deliver `event` to every connection of each user in `to`. */
export interface DeliverMessage {
  kind: "deliver";
  to: UserId[];
  event: AnyEvent;
  /** Leave out this connection (e.g. the one whose request caused the event and got it in the reply). */
  exceptConn?: string;
}

/** Close (or end the session of) a user's connections, e.g. after a password change or logout elsewhere. */
export interface EndSessionsMessage {
  kind: "end-sessions";
  userId: UserId;
  /** Only connections with this session token hash; all of the user's when absent. */
  tokenHash?: string;
  exceptConn?: string;
  reason: "logout" | "password";
}

/** Opaque peer-relay bytes for one connection. */
export interface RelayMessage {
  kind: "relay";
  toConn: string;
  channel: number;
  data: Uint8Array;
}

/** State the domain caches changed (membership, settings); nodes drop their cached copies. */
export interface InvalidateMessage {
  kind: "invalidate";
  room?: number;
  user?: number;
}

export type BusMessage = DeliverMessage | EndSessionsMessage | RelayMessage | InvalidateMessage;

export interface Bus {
  publish(message: BusMessage): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(handler: (message: BusMessage) => void): () => void;
  /** Called when this node may have missed messages (e.g. after a broker reconnect). */
  onGap(handler: () => void): () => void;
  close(): Promise<void>;
}
