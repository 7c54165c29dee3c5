/**
 * Delivery: the one owner, on the hub side, of who gets which event, in what order, and what is replayed.
 *
 * Transports (the WebSocket endpoint; an IRC gateway later) bind each authenticated connection as a
 * `DeliverySink` and write what they are handed; they know nothing of ordering. Delivery routes bus
 * messages to the sinks of their users, builds each event's serialised form once for all of them
 * (`Outgoing`), and keeps one seq-keyed hold per connection, the same with one node or many:
 *
 * - Sequenced events (bus `deliver` with `conv` + `seq`: messages, and whatever else takes the next seq
 *   of a conversation) reach each connection in seq order, each once. A connection's cursor per
 *   conversation says what it has; a seq past a hole waits `holdMs` for the missing ones (with several
 *   nodes, two messages of one conversation are published by different nodes after their commits, so
 *   seq 7 may come before seq 6) and then the hole is fetched from the store. A bus gap (a Redis
 *   reconnect) fetches what follows every cursor. The store has everything: a message is committed
 *   before it is published.
 * - While a session starts (login, resume), live events wait; `catchUp` takes the cursors, writes the
 *   resume replay, then lets the waiting events through the same hold — so a live copy of a replayed
 *   event is dropped by its (conversation, seq), whatever its event name.
 * - With the in-process bus everything arrives in commit order and nothing is lost, so the hold is one
 *   Map lookup per delivery; the same code orders a cluster's deliveries.
 *
 * Cursors are kept by conversation id, not by name: a room deleted and created again under its name is
 * a new conversation, and a rename changes no key.
 */
import type { Logger } from "pino";
import type { AnyEvent } from "../../protocol/events.js";
import type {
  AdvanceMessage,
  Bus,
  BusMessage,
  DeliverMessage,
  EndSessionsMessage,
  RelayMessage,
} from "../bus/bus.js";
import type { ConvId, UserId } from "../ids.js";
import type { CatchUp, SequencedEvent } from "../domain/messages.js";

/** A connection as Delivery sees it, whatever its transport. */
export interface DeliverySink {
  /** Unique on this node; a bus message's `exceptConn` names it. */
  readonly id: string;
  /** One event for this connection; `out` is shared by every receiver of the same form (see Outgoing). */
  write(out: Outgoing): void;
  /** The hub ended this session (logged out elsewhere, password changed): say why and close. */
  /** `message`: for the person (e.g. why the account was suspended). */
  endSession(reason: EndSessionsMessage["reason"], message?: string): void;
  /** The session's token hash, to end only the connections of one session. */
  readonly tokenHash: string | undefined;
}

/** Where Delivery reads what a connection missed: the domain's Messages. */
export interface DeliverySource {
  catchUp(userId: UserId, resume?: { cursors?: Record<string, number> }): Promise<CatchUp>;
  missed(userId: UserId, after: ReadonlyMap<ConvId, number>): Promise<SequencedEvent[]>;
}

/** Counters for metrics; each is called on the delivery path, so keep them cheap. */
export interface DeliveryHooks {
  /** `count` connections were written one event. */
  delivered?(count: number): void;
  /** A connection was dropped for not reading (its transport tells Delivery with `slowConsumer`). */
  slowConsumer?(sinkId: string): void;
  /** A hole was fetched from the store (a bus loss, or messages out of order for longer than `holdMs`). */
  repaired?(count: number): void;
}

export interface DeliveryOptions {
  /** How long an event after a hole waits for the missing ones before they are fetched. */
  holdMs?: number;
  /** How long the first events of a conversation without a cursor wait for lower seqs. */
  firstHoldMs?: number;
}

/**
 * One event in the form some receivers get it. Its JSON text and a transport's encoding of it (a
 * WebSocket frame) are built on first use and shared by every sink written the same Outgoing. A
 * variant (`with`) adds fields to its base's JSON text by string concatenation, not a second
 * serialisation: the muted form and the sender's own copy of a room message cost a few bytes each.
 */
export class Outgoing {
  private text: string | undefined;
  private built: AnyEvent | undefined;
  private encoder: ((out: Outgoing) => unknown) | undefined;
  private encoded: unknown;

  private constructor(
    event: AnyEvent | undefined,
    private readonly base: Outgoing | undefined,
    private readonly extra: Readonly<Record<string, unknown>> | undefined,
    /** `extra`'s JSON text without its braces, when the caller built it (see `withJson`). */
    private readonly extraJson: string | undefined,
    /** Set for sequenced events. */
    readonly conv: ConvId | undefined,
    readonly seq: number,
    /** A seq this receiver will never be shown: it moves the cursor and writes nothing. */
    readonly skip: boolean,
  ) {
    this.built = event;
  }

  static of(event: AnyEvent, conv?: ConvId, seq = 0): Outgoing {
    return new Outgoing(event, undefined, undefined, undefined, conv, seq, false);
  }

  static skip(conv: ConvId, seq: number): Outgoing {
    return new Outgoing(undefined, undefined, undefined, undefined, conv, seq, true);
  }

  /** This event with `extra` fields added (an object of JSON values, never empty). */
  with(extra: Readonly<Record<string, unknown>>): Outgoing {
    return new Outgoing(undefined, this, extra, undefined, this.conv, this.seq, false);
  }

  /**
   * This event with fields given as JSON text without braces (`"a":1,"b":2`), for a part the caller
   * assembles from pieces serialised once (an e2e copy's common part); parsed only if `event` is read.
   */
  withJson(members: string): Outgoing {
    return new Outgoing(undefined, this, undefined, members, this.conv, this.seq, false);
  }

  get event(): AnyEvent {
    return (this.built ??= {
      ...this.base!.event,
      ...(this.extra ?? (JSON.parse(`{${this.extraJson!}}`) as Record<string, unknown>)),
    } as AnyEvent);
  }

  json(): string {
    if (this.text === undefined) {
      this.text =
        this.base !== undefined
          ? `${this.base.json().slice(0, -1)},${this.extraJson ?? JSON.stringify(this.extra).slice(1, -1)}}`
          : JSON.stringify(this.built);
    }
    return this.text;
  }

  /** `encoder(this)`, computed once per transport (the last encoder's result is kept). */
  encode<T>(encoder: (out: Outgoing) => T): T {
    if (this.encoder !== encoder) {
      this.encoded = encoder(this);
      this.encoder = encoder;
    }
    return this.encoded as T;
  }
}

/** The forms of one `deliver` message on this node, each built at most once. */
class Forms {
  private plainForm: Outgoing | undefined;
  private mutedForm: Outgoing | undefined;
  private echoForm: Outgoing | undefined;
  private muted: Set<UserId> | undefined;

  constructor(private readonly message: DeliverMessage) {}

  for(userId: UserId): Outgoing {
    const m = this.message;
    if (m.e2e !== undefined) return this.sealed(userId, m.e2e);
    if (m.echo !== undefined && m.echo.userId === userId) {
      return (this.echoForm ??= this.plain().with({ cid: m.echo.cid }));
    }
    if (m.mutedFor !== undefined) {
      this.muted ??= new Set(m.mutedFor);
      if (this.muted.has(userId)) return (this.mutedForm ??= this.plain().with(MUTED));
    }
    return this.plain();
  }

  /** An e2e room's message: one form per receiver (their own devices' keys), echo and muted on top. */
  private sealed(userId: UserId, e2e: NonNullable<DeliverMessage["e2e"]>): Outgoing {
    const m = this.message;
    const keys = JSON.stringify(e2e.keys[String(userId)] ?? {});
    let out = this.plain().withJson(`"e2e":${e2e.header.slice(0, -1)},"keys":${keys}}`);
    if (m.echo !== undefined && m.echo.userId === userId) return out.with({ cid: m.echo.cid });
    if (m.mutedFor !== undefined) {
      this.muted ??= new Set(m.mutedFor);
      if (this.muted.has(userId)) out = out.with(MUTED);
    }
    return out;
  }

  private plain(): Outgoing {
    return (this.plainForm ??= Outgoing.of(this.message.event, this.message.conv, this.message.seq));
  }
}

const MUTED = { muted: true } as const;

/** One bound connection's state. */
class Bound {
  /** Per conversation, the last seq this connection has been written (or skipped). */
  readonly cursors = new Map<ConvId, number>();
  /** Events after a hole, per conversation, until it is filled. */
  held: Map<ConvId, Outgoing[]> | undefined;
  readonly timers = new Map<ConvId, NodeJS.Timeout>();
  readonly filling = new Set<ConvId>();
  /** Live events while the session starts (until `catchUp` is done), in arrival order. */
  waiting: Outgoing[] | undefined = [];
  closed = false;

  constructor(
    readonly sink: DeliverySink,
    readonly userId: UserId,
  ) {}
}

export class Delivery {
  readonly hooks: DeliveryHooks = {};
  private readonly byUser = new Map<UserId, Bound[]>();
  private readonly bySink = new Map<DeliverySink, Bound>();
  private readonly holdMs: number;
  private readonly firstHoldMs: number;
  private readonly offBus: () => void;
  private readonly offGap: () => void;
  /** Peer-relay bytes addressed to one connection; the transport that can carry them sets this. */
  relay: ((message: RelayMessage) => void) | undefined;

  constructor(
    bus: Bus,
    private readonly source: DeliverySource,
    private readonly log: Logger,
    options: DeliveryOptions = {},
  ) {
    this.holdMs = options.holdMs ?? 250;
    this.firstHoldMs = options.firstHoldMs ?? 50;
    this.offBus = bus.subscribe((message) => this.route(message));
    // The bus may have lost events: every connection fetches what follows its cursors.
    this.offGap = bus.onGap(() => {
      for (const bound of this.bySink.values()) void this.fill(bound, [...bound.cursors.keys()]);
    });
  }

  /** Starts delivering `userId`'s events to `sink`; they wait until `catchUp`. */
  bind(sink: DeliverySink, userId: UserId): void {
    this.unbind(sink);
    const bound = new Bound(sink, userId);
    this.bySink.set(sink, bound);
    const list = this.byUser.get(userId);
    if (list) list.push(bound);
    else this.byUser.set(userId, [bound]);
  }

  /**
   * Takes the connection's cursors, writes the resume replay (with `resume`), then the live events that
   * waited, in order, without those the replay already wrote. Call it once the transport has written
   * its answer to the login or resume.
   */
  async catchUp(
    sink: DeliverySink,
    resume?: { cursors?: Record<string, number> },
    /** A transport that frames a replay itself (IRC wraps it in batches) writes it here, in order. */
    writeReplay?: (missed: readonly SequencedEvent[]) => void,
  ): Promise<void> {
    const bound = this.bySink.get(sink);
    if (!bound) return;
    try {
      const { last, missed } = await this.source.catchUp(bound.userId, resume);
      if (bound.closed) return;
      let written = 0;
      if (writeReplay && missed.length > 0) writeReplay(missed);
      for (const item of missed) {
        if (!writeReplay) sink.write(Outgoing.of(item.event, item.conv, item.seq));
        this.advance(bound, item.conv, item.seq);
        written++;
      }
      if (written > 0) this.hooks.delivered?.(written);
      for (const [conv, seq] of last) this.advance(bound, conv, seq);
    } finally {
      const waiting = bound.waiting ?? [];
      bound.waiting = undefined;
      if (!bound.closed) for (const out of waiting) this.offer(bound, out);
    }
  }

  /** The connection's own request gave it a conversation (room joined or created), seen up to `seq`. */
  follow(sink: DeliverySink, conv: ConvId, seq: number): void {
    const bound = this.bySink.get(sink);
    if (!bound) return;
    this.stopHolding(bound, conv);
    bound.cursors.set(conv, seq);
  }

  unbind(sink: DeliverySink): void {
    const bound = this.bySink.get(sink);
    if (!bound) return;
    bound.closed = true;
    for (const timer of bound.timers.values()) clearTimeout(timer);
    this.bySink.delete(sink);
    const list = this.byUser.get(bound.userId);
    if (!list) return;
    const rest = list.filter((b) => b !== bound);
    if (rest.length > 0) this.byUser.set(bound.userId, rest);
    else this.byUser.delete(bound.userId);
  }

  /** The transport dropped `sink` for not reading. */
  slowConsumer(sink: DeliverySink): void {
    this.hooks.slowConsumer?.(sink.id);
  }

  /** Whether any of `userId`'s connections on this node is bound. */
  hasUser(userId: UserId): boolean {
    return this.byUser.has(userId);
  }

  close(): void {
    this.offBus();
    this.offGap();
    for (const bound of [...this.bySink.values()]) this.unbind(bound.sink);
  }

  /** Routes one bus message to this node's connections. */
  route(message: BusMessage): void {
    switch (message.kind) {
      case "deliver":
        return this.deliver(message);
      case "advance":
        return this.skip(message);
      case "end-sessions":
        for (const bound of this.byUser.get(message.userId) ?? []) {
          if (bound.sink.id === message.exceptConn) continue;
          if (message.tokenHash !== undefined && bound.sink.tokenHash !== message.tokenHash) continue;
          bound.sink.endSession(message.reason, message.message);
        }
        return;
      case "relay":
        this.relay?.(message);
        return;
      case "invalidate":
      case "connections-query":
      case "connections-report":
      case "relay-bound":
        return;
    }
  }

  private deliver(message: DeliverMessage): void {
    let forms: Forms | undefined;
    let count = 0;
    const sequenced = message.conv !== undefined;
    for (const userId of message.to) {
      const list = this.byUser.get(userId);
      if (list === undefined) continue;
      forms ??= new Forms(message);
      const out = forms.for(userId);
      for (const bound of list) {
        if (bound.sink.id === message.exceptConn) {
          // Left out, but it must not wait for this seq as a hole.
          if (sequenced) this.offer(bound, Outgoing.skip(message.conv!, message.seq!));
          continue;
        }
        if (this.offer(bound, out)) count++;
      }
    }
    if (count > 0) this.hooks.delivered?.(count);
  }

  private skip(message: AdvanceMessage): void {
    for (const userId of message.to) {
      for (const bound of this.byUser.get(userId) ?? []) {
        this.offer(bound, Outgoing.skip(message.conv, message.seq));
      }
    }
  }

  /** Hands one event to a connection through its hold; true when it was written now. */
  private offer(bound: Bound, out: Outgoing): boolean {
    if (bound.waiting !== undefined) {
      bound.waiting.push(out);
      return false;
    }
    const conv = out.conv;
    if (conv === undefined) {
      bound.sink.write(out);
      return true;
    }
    // The hot path: the next seq of a conversation with no hole.
    const cursor = bound.cursors.get(conv);
    if (cursor !== undefined && out.seq === cursor + 1 && bound.held === undefined) {
      this.write(bound, conv, out);
      return !out.skip;
    }
    return this.offerSlow(bound, conv, cursor, out);
  }

  private offerSlow(bound: Bound, conv: ConvId, cursor: number | undefined, out: Outgoing): boolean {
    if (bound.filling.has(conv)) {
      this.hold(bound, conv, out);
      return false;
    }
    if (cursor === undefined) {
      // Nothing known of this conversation: seq 1 is its start; otherwise wait a moment, so that a
      // lower seq published by another node a little later still goes first.
      if (out.seq === 1) {
        this.write(bound, conv, out);
        return !out.skip;
      }
      this.holdFirst(bound, conv, out);
      return false;
    }
    if (out.seq === cursor + 1) {
      this.write(bound, conv, out);
      this.drain(bound, conv);
      return !out.skip;
    }
    if (out.seq > cursor + 1) {
      this.hold(bound, conv, out);
      this.scheduleFill(bound, conv);
    }
    // seq <= cursor: the connection has it (a replay, a fill, or a repeated publish).
    return false;
  }

  private write(bound: Bound, conv: ConvId, out: Outgoing): void {
    bound.cursors.set(conv, out.seq);
    if (!out.skip) bound.sink.write(out);
  }

  /** Moves a cursor forward only. */
  private advance(bound: Bound, conv: ConvId, seq: number): void {
    const current = bound.cursors.get(conv);
    if (current === undefined || seq > current) bound.cursors.set(conv, seq);
  }

  private hold(bound: Bound, conv: ConvId, out: Outgoing): void {
    bound.held ??= new Map();
    const list = bound.held.get(conv);
    if (!list) bound.held.set(conv, [out]);
    else if (!list.some((o) => o.seq === out.seq)) list.push(out);
  }

  private stopHolding(bound: Bound, conv: ConvId): Outgoing[] {
    const timer = bound.timers.get(conv);
    if (timer) clearTimeout(timer);
    bound.timers.delete(conv);
    const list = bound.held?.get(conv) ?? [];
    bound.held?.delete(conv);
    if (bound.held?.size === 0) bound.held = undefined;
    return list;
  }

  /** Collects a conversation's first events for `firstHoldMs`, then writes them in seq order. */
  private holdFirst(bound: Bound, conv: ConvId, out: Outgoing): void {
    this.hold(bound, conv, out);
    if (bound.timers.has(conv)) return;
    const timer = setTimeout(() => {
      bound.timers.delete(conv);
      const list = this.stopHolding(bound, conv).sort((a, b) => a.seq - b.seq);
      if (list.length === 0 || bound.closed) return;
      // The lowest seen is the start; later holes are filled as usual.
      if (!bound.cursors.has(conv)) bound.cursors.set(conv, list[0]!.seq - 1);
      for (const o of list) this.offer(bound, o);
    }, this.firstHoldMs);
    timer.unref();
    bound.timers.set(conv, timer);
  }

  private scheduleFill(bound: Bound, conv: ConvId): void {
    if (bound.timers.has(conv)) return;
    const timer = setTimeout(() => {
      bound.timers.delete(conv);
      void this.fill(bound, [conv]);
    }, this.holdMs);
    timer.unref();
    bound.timers.set(conv, timer);
  }

  /** Writes held events that now follow the cursor. */
  private drain(bound: Bound, conv: ConvId): void {
    const list = bound.held?.get(conv);
    if (!list) return;
    list.sort((a, b) => a.seq - b.seq);
    let cursor = bound.cursors.get(conv) ?? 0;
    while (list.length > 0 && list[0]!.seq <= cursor + 1) {
      const next = list.shift()!;
      if (next.seq === cursor + 1) this.write(bound, conv, next);
      cursor = bound.cursors.get(conv) ?? cursor;
    }
    if (list.length === 0) this.stopHolding(bound, conv);
  }

  /**
   * Fetches what follows the cursors of `convs` and writes it with the held events, in seq order. What
   * the store returns is taken as complete: a seq it leaves out (hidden from this user) is no hole.
   */
  private async fill(bound: Bound, convs: readonly ConvId[]): Promise<void> {
    const wanted = convs.filter((conv) => !bound.filling.has(conv) && bound.cursors.has(conv));
    if (bound.closed || wanted.length === 0) return;
    for (const conv of wanted) bound.filling.add(conv);
    const after = new Map(wanted.map((conv) => [conv, bound.cursors.get(conv)!]));
    let fetched: SequencedEvent[] = [];
    let failed = false;
    try {
      fetched = await this.source.missed(bound.userId, after);
    } catch (error) {
      failed = true;
      this.log.warn({ err: error, conn: bound.sink.id }, "delivery: fetching missed events failed");
    }
    for (const conv of wanted) bound.filling.delete(conv);
    if (bound.closed) return;
    if (fetched.length > 0) this.hooks.repaired?.(fetched.length);
    const byConv = new Map<ConvId, SequencedEvent[]>();
    for (const item of fetched) {
      if (!after.has(item.conv)) continue;
      const list = byConv.get(item.conv);
      if (list) list.push(item);
      else byConv.set(item.conv, [item]);
    }
    for (const conv of wanted) {
      const merged = new Map<number, Outgoing>();
      // A held copy wins over the store's (the same event either way): its encoding may be built.
      for (const out of this.stopHolding(bound, conv)) merged.set(out.seq, out);
      const fromStore = new Set<number>();
      for (const item of byConv.get(conv) ?? []) {
        fromStore.add(item.seq);
        if (!merged.has(item.seq)) merged.set(item.seq, Outgoing.of(item.event, conv, item.seq));
      }
      let cursor = bound.cursors.get(conv) ?? 0;
      const next = [...merged.values()].filter((o) => o.seq > cursor).sort((a, b) => a.seq - b.seq);
      const stillHeld: Outgoing[] = [];
      for (const out of next) {
        // Held events that arrived during the fetch, beyond what it saw, wait for their own hole.
        if (failed || (stillHeld.length === 0 && (fromStore.has(out.seq) || out.seq === cursor + 1))) {
          this.write(bound, conv, out);
          cursor = out.seq;
        } else {
          stillHeld.push(out);
        }
      }
      if (stillHeld.length > 0) {
        for (const out of stillHeld) this.hold(bound, conv, out);
        this.scheduleFill(bound, conv);
      }
    }
  }
}
