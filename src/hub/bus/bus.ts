/**
 * Fan-out between the domain and the gateways of every hub node.
 *
 * Contract: messages published by one node reach every subscriber on every node (including the
 * publisher's own), in publish order per publishing node. Delivery is at-most-once: a node that may
 * have missed messages (a reconnect to the broker) is told through `onGap` and repairs from the store.
 */
import type { AnyEvent } from "../../protocol/events.js";
import type { ConvId, UserId } from "../ids.js";
import type { AdminConnection, SessionEndReason } from "../../protocol/model.js";

/**
 * Deliver `event` to every connection of each user in `to`.
 *
 * One message per event however its receivers differ: a room message is published once, and the
 * gateway gives `mutedFor` the event flagged `muted: true` and `echo.userId` (the sender) the event
 * with its `cid` — a cheap second frame only where needed (`eventFor` says what each user gets).
 */
export interface DeliverMessage {
  kind: "deliver";
  to: UserId[];
  event: AnyEvent;
  /** Leave out this connection (e.g. the one whose request caused the event and got it in the reply). */
  exceptConn?: string;
  /**
   * A sequenced event (a message, and whatever else takes the next seq of a conversation): its
   * conversation and seq. The gateway delivers sequenced events to each connection in seq order, each
   * once, holds them back during a resume replay, and repairs holes from the store.
   */
  conv?: ConvId;
  seq?: number;
  /** Of `to`, those who get the event marked `muted: true`. */
  mutedFor?: UserId[];
  /** The sender, who gets the event with the `cid` their client chose (and never `muted`). */
  echo?: { userId: UserId; cid: string };
  /**
   * A message of an end-to-end encrypted room: each receiver's event gets `e2e`, the copy made of
   * `header` (the JSON text of its common part, serialised once) and their own devices' sealed keys.
   */
  e2e?: { header: string; keys: Record<string, Record<string, string>> };
}

/**
 * `to` will never be shown seq `seq` of `conv` (it is hidden from them, e.g. a DM from a user they
 * block): their connections move past it instead of waiting for it as a hole.
 */
export interface AdvanceMessage {
  kind: "advance";
  to: UserId[];
  conv: ConvId;
  seq: number;
}

/** Close (or end the session of) a user's connections, e.g. after a password change or logout elsewhere. */
export interface EndSessionsMessage {
  kind: "end-sessions";
  userId: UserId;
  /** Only connections with this session token hash; all of the user's when absent. */
  tokenHash?: string;
  exceptConn?: string;
  reason: Exclude<SessionEndReason, "shutdown">;
  /** For the person whose session ends (e.g. a suspension's reason). */
  message?: string;
}

/** A server admin asks every node for a user's connections; each answers with a report. */
export interface ConnectionsQueryMessage {
  kind: "connections-query";
  queryId: string;
  userId: UserId;
}

export interface ConnectionsReportMessage {
  kind: "connections-report";
  queryId: string;
  connections: AdminConnection[];
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

/** A relay channel's connections changed (a party relays from a new connection); nodes drop their cached copy. */
export interface RelayBoundMessage {
  kind: "relay-bound";
  channel: number;
}

export type BusMessage =
  | DeliverMessage
  | AdvanceMessage
  | EndSessionsMessage
  | RelayMessage
  | InvalidateMessage
  | ConnectionsQueryMessage
  | ConnectionsReportMessage
  | RelayBoundMessage;

/** Which form of a `deliver` message's event a user gets. */
export type Variant = "plain" | "muted" | "echo";

export function variantFor(message: DeliverMessage, userId: UserId): Variant {
  if (message.echo !== undefined && message.echo.userId === userId) return "echo";
  if (message.mutedFor !== undefined && message.mutedFor.includes(userId)) return "muted";
  return "plain";
}

/** The event a user gets from a `deliver` message (what the gateway writes, as an object). */
export function eventFor(message: DeliverMessage, userId: UserId): AnyEvent {
  switch (variantFor(message, userId)) {
    case "echo":
      return { ...message.event, cid: message.echo!.cid } as AnyEvent;
    case "muted":
      return { ...message.event, muted: true } as AnyEvent;
    case "plain":
      return message.event;
  }
}

export interface Bus {
  publish(message: BusMessage): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(handler: (message: BusMessage) => void): () => void;
  /** Called when this node may have missed messages (e.g. after a broker reconnect). */
  onGap(handler: () => void): () => void;
  /** Why this node cannot reach the other nodes right now (for /readyz), or undefined when it can. */
  unreachable(): string | undefined;
  close(): Promise<void>;
}
