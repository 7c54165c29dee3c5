/**
 * The outbox: a message is pending from `send` until the hub acknowledges it. Entries live in
 * `state.outbox` (so a UI can show them greyed) and go out one at a time, oldest first; after a
 * timeout or a reconnect the same entry goes again with the same cid, which the hub stores once.
 */
import type { FileInfo, Message } from "../../protocol/index.js";
import { recipientsOf, type E2eEnvelope } from "../../protocol/e2e.js";
import type { Connection } from "./connection.js";
import { HubError, RequestTimeoutError } from "./errors.js";
import { targetOf } from "./keys.js";
import { randomId, sleep } from "./timers.js";
import { outboxAdd, outboxAttempt, outboxRemove } from "./state.js";
import type { ClientState, ConversationKey, OutboxEntry } from "./types.js";

export interface OutboxHost {
  getState(): ClientState;
  setState(next: ClientState): void;
  /** The connection to send on: online and logged in; null otherwise. */
  sendingConnection(): Connection | null;
  /** The hub stored the message: deliver it like any other (dedupe makes a later echo harmless). */
  stored(key: ConversationKey, message: Message): void;
  sent(entry: OutboxEntry, message: Message): void;
  failed(entry: OutboxEntry, error: HubError): void;
  /** The hub cannot store messages for now (UNAVAILABLE); the entry stays and goes again in `retryInMs`. */
  delayed(entry: OutboxEntry, error: HubError, retryInMs: number): void;
}

interface Waiter {
  resolve(message: Message): void;
  reject(error: Error): void;
}

/**
 * Checks the hub applies too (trim, length in code points), made here as well so that a message that
 * can never be sent does not wait in the outbox while offline.
 */
function precheck(body: string, maxChars: number | undefined, withFile: boolean): HubError | null {
  const trimmed = body.trim();
  if (trimmed.length === 0 && withFile) return null;
  if (trimmed.length === 0) return new HubError({ code: "EMPTY_BODY", message: "the message is empty" });
  if (maxChars !== undefined && [...trimmed].length > maxChars) {
    return new HubError({
      code: "BODY_TOO_LONG",
      message: `messages may have at most ${maxChars} characters`,
    });
  }
  return null;
}

/** The copy of a sealed message the hub gives its sender (their own devices' keys): what the echo carries. */
function ownCopy(envelope: E2eEnvelope, me: string): NonNullable<Message["e2e"]> {
  const { keys, ...rest } = envelope;
  const mine = Object.entries(keys).find(([user]) => user.toLowerCase() === me.toLowerCase())?.[1] ?? {};
  return { ...rest, to: recipientsOf(keys), keys: mine };
}

export class Outbox {
  private readonly waiters = new Map<string, Waiter>();
  private flushing = false;
  private flushAgain = false;

  constructor(
    private readonly host: OutboxHost,
    private readonly now: () => number,
  ) {}

  /** Queues a message; resolves with the stored message, rejects when the hub refuses it for good. */
  /**
   * With `e2e` (an end-to-end encrypted room), `body` is the plain text, kept only here for the UI to
   * show while pending; the hub is sent the sealed envelope and an empty body.
   */
  add(
    key: ConversationKey,
    body: string,
    file?: FileInfo,
    e2e?: E2eEnvelope,
    replyTo?: OutboxEntry["replyTo"],
    extras: Pick<OutboxEntry, "notice" | "clientTags"> = {},
  ): Promise<Message> {
    const refused = precheck(body, this.host.getState().hub?.limits.maxBodyChars, file !== undefined);
    if (refused) return Promise.reject(refused);
    const entry: OutboxEntry = {
      cid: randomId(),
      key,
      body,
      createdAt: this.now(),
      attempts: 0,
      ...(file && { file }),
      ...(e2e && { e2e }),
      ...(replyTo && { replyTo }),
      ...(extras.notice && { notice: true as const }),
      ...(extras.clientTags && { clientTags: extras.clientTags }),
    };
    const promise = new Promise<Message>((resolve, reject) =>
      this.waiters.set(entry.cid, { resolve, reject }),
    );
    this.host.setState(outboxAdd(this.host.getState(), entry));
    void this.flush();
    return promise;
  }

  /** The hub has the message with this cid (its reply, its echo, or a replay): the entry is done. */
  acknowledge(cid: string, message: Message): void {
    const entry = this.host.getState().outbox.find((e) => e.cid === cid);
    if (!entry) return;
    this.host.setState(outboxRemove(this.host.getState(), cid));
    this.waiters.get(cid)?.resolve(message);
    this.waiters.delete(cid);
    this.host.sent(entry, message);
  }

  private refuse(entry: OutboxEntry, error: HubError): void {
    this.host.setState(outboxRemove(this.host.getState(), entry.cid));
    this.waiters.get(entry.cid)?.reject(error);
    this.waiters.delete(entry.cid);
    this.host.failed(entry, error);
  }

  /** Rejects every pending send (the client closed, or the account changed); state is the caller's. */
  rejectAll(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  /**
   * Puts entries on the wire one at a time, oldest first. One at a time because the hub handles a
   * connection's frames concurrently: two sends in flight could be stored out of order.
   */
  async flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      for (;;) {
        const conn = this.host.sendingConnection();
        const me = this.host.getState().me;
        const entry = this.host.getState().outbox[0];
        if (!entry || !conn || !me) return;
        this.host.setState(outboxAttempt(this.host.getState(), entry.cid));
        const target = targetOf(entry.key);
        try {
          const ack = await conn.request("msg.send", {
            ...target,
            body: entry.e2e ? "" : entry.body,
            cid: entry.cid,
            ...(entry.file && { file: entry.file.id }),
            ...(entry.e2e && { e2e: entry.e2e }),
            ...(entry.replyTo && { replyTo: entry.replyTo.id }),
            ...(entry.notice && { notice: true }),
            ...(entry.clientTags && { clientTags: entry.clientTags }),
          });
          const message: Message = {
            id: ack.id,
            seq: ack.seq,
            ts: ack.ts,
            from: me.username,
            ...target,
            // What the hub stores (it trims); the echo, if it comes first, carries the same.
            body: entry.e2e ? "" : entry.body.trim(),
            ...(entry.file && { file: entry.file }),
            ...(entry.e2e && { e2e: ownCopy(entry.e2e, me.username) }),
            ...(entry.replyTo && { replyTo: entry.replyTo.id }),
            ...(entry.replyTo?.quote && { quote: entry.replyTo.quote }),
            ...(entry.notice && { notice: true as const }),
            ...(entry.clientTags && { clientTags: entry.clientTags }),
            cid: entry.cid,
          };
          this.host.stored(entry.key, message);
          this.acknowledge(entry.cid, message);
        } catch (error) {
          if (error instanceof HubError) {
            // Both say "not now": the entry keeps its place (and its cid) and goes again after the wait.
            if (error.code === "RATE_LIMITED" || error.code === "UNAVAILABLE") {
              const wait = error.retryAfterMs ?? 1000;
              if (error.code === "UNAVAILABLE") this.host.delayed(entry, error, wait);
              await sleep(wait);
              continue;
            }
            this.refuse(entry, error);
            continue;
          }
          // Same cid again on the same link: the hub stores it once whichever attempt got through.
          if (error instanceof RequestTimeoutError && conn.isOpen) continue;
          // The connection went away: the reconnect flushes again.
          return;
        }
      }
    } finally {
      this.flushing = false;
      if (this.flushAgain) {
        this.flushAgain = false;
        void this.flush();
      }
    }
  }
}
