/**
 * Per-connection delivery of `message` events in seq order, each once — for hubs on a shared bus.
 *
 * Why: with several nodes, two messages of one conversation are stored by different nodes and
 * published after their commits, so seq 7 may reach a gateway before seq 6; and a Redis reconnect may
 * lose some (the bus then calls `onGap`). The store has everything (a message is committed before it
 * is published), so a connection that sees a hole waits briefly for the missing ones and then fetches
 * them; on a bus gap it fetches what follows each of its cursors.
 *
 * How to plug it in (src/hub/gateway/websocket.ts):
 * - one `MessageOrder` per authenticated connection: `new MessageOrder(userId, (m) =>
 *   conn.sendJson({ ev: "message", ...m }), domain.messages)`;
 * - in `onBus` "deliver", hand `message` events to `order.offer(event)` instead of `sendText`, and
 *   show it the others (`order.onEvent(event)`); after each reply, `order.afterReply(op, params, result)`;
 * - after the resume replay, `order.setCursor(key, seq)` for each conversation (the client's cursor,
 *   or the last replayed seq); after login and `room.join`, the conversation's `lastSeq`. Without a
 *   cursor, a conversation's first messages wait `firstHoldMs` and go out in seq order (seq 1 at
 *   once), and it cannot be repaired on a bus gap before then;
 * - `bus.onGap(() => each connection's order.repair())`, and `order.close()` when the connection ends.
 */
import type { Message } from "../../protocol/model.js";
import type { UserId } from "../store/store.js";

import { cursorKeyOf, roomCursor } from "../ids.js";

/** "room:NAME" or "dm:USER", folded (ids.ts): the keys of `resume` cursors. */
export type CursorKey = string;
export const cursorKey = (m: Pick<Message, "room" | "user">): CursorKey => cursorKeyOf(m);
const roomKey = (name: string): CursorKey => roomCursor(name);

/** The missed messages after each cursor, as this user sees them, oldest first (Messages.replay). */
export interface MissedMessages {
  replay(userId: UserId, cursors: Record<string, number>): Promise<Message[]>;
}

export interface MessageOrderOptions {
  /** How long a message after a hole waits for the missing ones before they are fetched. */
  holdMs?: number;
  /** How long the first messages of a conversation without a cursor wait for lower seqs. */
  firstHoldMs?: number;
  /** Told when a fetch failed; the held messages are then sent as they are (the client pages the hole). */
  onError?: (error: unknown) => void;
}

/**
 * `W` is the caller's ready-made wire form of a live message (e.g. its serialised frame), handed back
 * when that copy is sent, so the fan-out path does not serialise again; fetched copies have none.
 */
export class MessageOrder<W = never> {
  private readonly cursors = new Map<CursorKey, number>();
  /** Messages beyond a hole, by conversation, until it is filled. */
  private readonly held = new Map<CursorKey, Message[]>();
  private readonly wires = new WeakMap<Message, W>();
  private readonly timers = new Map<CursorKey, NodeJS.Timeout>();
  private readonly filling = new Set<CursorKey>();
  private readonly holdMs: number;
  private readonly firstHoldMs: number;
  private closed = false;

  constructor(
    private readonly userId: UserId,
    private readonly send: (message: Message, wire: W | undefined) => void,
    private readonly source: MissedMessages,
    private readonly options: MessageOrderOptions = {},
  ) {
    this.holdMs = options.holdMs ?? 250;
    this.firstHoldMs = options.firstHoldMs ?? 50;
  }

  /** The client has everything of `key` up to `seq` (moves forward only). */
  setCursor(key: CursorKey, seq: number): void {
    const current = this.cursors.get(key);
    if (current === undefined || seq > current) this.cursors.set(key, seq);
  }

  /** Starts `key` afresh at `seq` (undefined: unknown), dropping what was held for it. */
  reset(key: CursorKey, seq: number | undefined): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
    this.held.delete(key);
    if (seq === undefined) this.cursors.delete(key);
    else this.cursors.set(key, seq);
  }

  /**
   * Follows the connection's own requests that change its rooms: a room joined or created starts at its
   * last seq, a room left is forgotten — so a room deleted and created again under the same name, whose
   * seqs start again at 1, is not mistaken for the old one.
   */
  afterReply(op: string, params: object, result: object): void {
    const { room } = params as { room?: unknown };
    const { room: info, lastSeq } = result as { room?: { name?: unknown }; lastSeq?: unknown };
    const name = typeof info?.name === "string" ? info.name : undefined;
    if (op === "room.join" && name !== undefined && typeof lastSeq === "number") {
      this.reset(roomKey(name), lastSeq);
    } else if (op === "room.create" && name !== undefined) {
      this.reset(roomKey(name), 0);
    } else if (op === "room.leave" && typeof room === "string") {
      this.reset(roomKey(room), undefined);
    }
  }

  /** Follows events that take a room away from this user (deleted, kicked, banned). */
  onEvent(event: { ev: string; room?: unknown }): void {
    if (
      (event.ev === "room.deleted" || event.ev === "kicked" || event.ev === "banned") &&
      typeof event.room === "string"
    ) {
      this.reset(roomKey(event.room), undefined);
    }
  }

  cursor(key: CursorKey): number | undefined {
    return this.cursors.get(key);
  }

  /** A live message for this connection. */
  offer(message: Message, wire?: W): void {
    if (this.closed) return;
    if (wire !== undefined) this.wires.set(message, wire);
    const key = cursorKey(message);
    if (this.filling.has(key)) {
      this.hold(key, message);
      return;
    }
    const cursor = this.cursors.get(key);
    if (cursor === undefined) {
      // Nothing known of this conversation: seq 1 is its start; otherwise wait a moment, so that a
      // lower seq published by another node a little later still goes first.
      if (message.seq === 1) this.deliver(key, message);
      else this.holdFirst(key, message);
    } else if (message.seq === cursor + 1) {
      this.deliver(key, message);
      this.drain(key);
    } else if (message.seq > cursor + 1) {
      this.hold(key, message);
      this.scheduleFill(key);
    }
    // seq <= cursor: the client has it (a replay, a fill, or a repeated publish).
  }

  /** The bus may have lost messages: fetch what follows every cursor. */
  repair(): Promise<void> {
    return this.fill([...this.cursors.keys()]);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
  }

  /** Collects a conversation's first messages for `firstHoldMs`, then sends them in seq order. */
  private holdFirst(key: CursorKey, message: Message): void {
    this.hold(key, message);
    if (this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      const list = (this.held.get(key) ?? []).sort((a, b) => a.seq - b.seq);
      this.held.delete(key);
      if (list.length === 0 || this.closed) return;
      // The lowest seen is the start; later holes are filled as usual.
      this.setCursor(key, list[0]!.seq - 1);
      for (const m of list) this.offer(m);
    }, this.firstHoldMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  private scheduleFill(key: CursorKey): void {
    if (this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.fill([key]);
    }, this.holdMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  private deliver(key: CursorKey, message: Message): void {
    this.cursors.set(key, message.seq);
    this.send(message, this.wires.get(message));
  }

  private hold(key: CursorKey, message: Message): void {
    const list = this.held.get(key) ?? [];
    if (!list.some((m) => m.seq === message.seq)) list.push(message);
    this.held.set(key, list);
  }

  /** Sends held messages that now follow the cursor. */
  private drain(key: CursorKey): void {
    const list = this.held.get(key);
    if (!list) return;
    list.sort((a, b) => a.seq - b.seq);
    let cursor = this.cursors.get(key) ?? 0;
    while (list.length > 0 && list[0]!.seq <= cursor + 1) {
      const next = list.shift()!;
      if (next.seq === cursor + 1) this.deliver(key, next);
      cursor = this.cursors.get(key) ?? cursor;
    }
    if (list.length === 0) {
      this.held.delete(key);
      const timer = this.timers.get(key);
      if (timer) clearTimeout(timer);
      this.timers.delete(key);
    }
  }

  /**
   * Fetches what follows the cursors of `keys` and sends it with the held messages, in seq order.
   * What the store returns is taken as complete: a seq it leaves out (a message hidden from this user)
   * is no hole.
   */
  private async fill(keys: CursorKey[]): Promise<void> {
    const wanted = keys.filter((key) => !this.filling.has(key) && this.cursors.has(key));
    if (this.closed || wanted.length === 0) return;
    for (const key of wanted) this.filling.add(key);
    const cursors = Object.fromEntries(wanted.map((key) => [key, this.cursors.get(key)!]));
    let fetched: Message[] = [];
    let failed = false;
    try {
      fetched = await this.source.replay(this.userId, cursors);
    } catch (error) {
      failed = true;
      this.options.onError?.(error);
    }
    for (const key of wanted) this.filling.delete(key);
    if (this.closed) return;
    const byKey = new Map<CursorKey, Message[]>();
    for (const m of fetched) {
      const key = cursorKey(m);
      // The replay also covers conversations we did not ask about; those are not ours to send.
      if (!(key in cursors)) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), m]);
    }
    for (const key of wanted) {
      const merged = new Map<number, Message>();
      for (const m of this.held.get(key) ?? []) merged.set(m.seq, m);
      // A held copy wins over the store's (the same message either way): it may carry its wire form.
      for (const m of byKey.get(key) ?? []) if (!merged.has(m.seq)) merged.set(m.seq, m);
      this.held.delete(key);
      const timer = this.timers.get(key);
      if (timer) clearTimeout(timer);
      this.timers.delete(key);
      const fromStore = new Set((byKey.get(key) ?? []).map((m) => m.seq));
      let cursor = this.cursors.get(key) ?? 0;
      const next = [...merged.values()].filter((m) => m.seq > cursor).sort((a, b) => a.seq - b.seq);
      const stillHeld: Message[] = [];
      for (const m of next) {
        // Held messages that arrived during the fetch, beyond what it saw, wait for their own hole.
        if (failed || (stillHeld.length === 0 && (fromStore.has(m.seq) || m.seq === cursor + 1))) {
          this.deliver(key, m);
          cursor = m.seq;
        } else {
          stillHeld.push(m);
        }
      }
      if (stillHeld.length > 0) {
        this.held.set(key, stillHeld);
        this.scheduleFill(key);
      }
    }
  }
}
