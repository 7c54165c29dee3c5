/**
 * Group commit for `appendMessage`.
 *
 * Calls are queued and written together in one transaction when the queue is flushed: on `setImmediate`
 * by default, i.e. after the current poll phase, so the frames of many sockets read in the same turn share
 * one commit (and, with synchronous=FULL, one fsync). Each promise resolves only after the transaction
 * that holds its message has committed — the hub acknowledges on it.
 */
import type { Database } from "better-sqlite3";
import { StoreGoneError, type AppendResult, type MessageRecord, type NewMessage } from "../store.js";
import { must, stmt } from "./keys.js";
import { MESSAGE_SELECT, toMessage, type MessageRow } from "./messages.js";

/** When queued appends are written: `immediate` (after I/O of this turn), `microtask`, or `off` (one transaction each). */
export type GroupCommit = "immediate" | "microtask" | "off";

/** What one append came to. */
export type Outcome = { result: AppendResult } | { error: unknown };

/**
 * How the SQLite store appends: in this thread (`Appender`) or in a writer thread (`WorkerAppender`).
 * `exclusive` runs one of the store's other writes after every append called before it and before
 * any called after it, so writes reach the database in call order and never wait on each other's locks.
 */
export interface AppendQueue {
  readonly stats: { commits: number; appends: number };
  append(message: NewMessage): Promise<AppendResult>;
  exclusive<T>(write: () => T): Promise<T>;
  close(): Promise<void>;
  /** Why appends cannot be written any more (the writer thread died), if so. */
  readonly broken: Error | undefined;
}

interface Pending {
  message: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

export class Appender implements AppendQueue {
  /** Counts for tests and benchmarks: transactions that wrote appends, and appends written. */
  readonly stats = { commits: 0, appends: 0 };
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly byCid;
  private readonly bumpSeq;
  private readonly insert;
  private readonly byId;
  private readonly username;
  private readonly writeBatch;

  constructor(
    db: Database,
    private readonly mode: GroupCommit,
  ) {
    // A retried cid is rare: it is looked up only when the insert below found it taken.
    // Covered by messages_cid (from_user_id, cid, rowid).
    this.byCid = stmt<{ from: number; cid: string }, { id: number }>(
      db,
      `SELECT id FROM messages WHERE from_user_id = :from AND cid = :cid`,
    );
    // seq is taken inside the storing transaction, so it is gap-free and ordered per conversation. The
    // insert takes it from the conversation and skips a taken (from, cid) in the same statement: two
    // statements per message instead of a lookup, an update and an insert. No row back means a
    // duplicate cid or no such conversation. Parameters are positional on this hot path: binding by
    // name measured ~10 % slower (bench/store-append.ts).
    this.insert = db.prepare<
      [number, number, string, string, number | null, number | null, number, string | null, number],
      { id: number; seq: number }
    >(
      `INSERT INTO messages (conv_id, seq, ts, from_user_id, body, cid, hidden_for, reply_to, notice, client_tags)
       SELECT id, last_seq + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM conversations WHERE id = ?
       ON CONFLICT (from_user_id, cid) DO NOTHING
       RETURNING id, seq`,
    );
    this.bumpSeq = db.prepare<[number, number]>(`UPDATE conversations SET last_seq = ? WHERE id = ?`);
    this.username = stmt<{ id: number }, { username: string }>(
      db,
      `SELECT username FROM users WHERE id = :id`,
    );
    this.byId = stmt<{ id: number }, MessageRow>(db, `${MESSAGE_SELECT} WHERE m.id = :id`);
    // IMMEDIATE takes the write lock up front instead of upgrading a read lock mid-transaction.
    const tx = db.transaction((batch: readonly NewMessage[]) => {
      // Sender names for this batch; no rename can interleave, since every other write flushes the queue first.
      const names = new Map<number, string>();
      return batch.map((m) => this.writeOne(m, names));
    });
    this.writeBatch = (batch: readonly NewMessage[]) => {
      const results = tx.immediate(batch);
      this.stats.commits++;
      this.stats.appends += batch.length;
      return results;
    };
  }

  append(message: NewMessage): Promise<AppendResult> {
    if (this.mode === "off") {
      try {
        return Promise.resolve(must(this.writeBatch([message])[0], "batch result"));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      if (this.mode === "microtask") queueMicrotask(() => this.flush());
      else setImmediate(() => this.flush());
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Appends in this thread fail one by one, never all at once. */
  get broken(): undefined {
    return undefined;
  }

  /** Writes everything queued now; also called before any other write so writes keep their call order. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes = this.writeGroup(batch.map((p) => p.message));
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if ("result" in outcome) p.resolve(outcome.result);
      else p.reject(outcome.error);
    });
  }

  /** The store's other writes: after everything queued, in call order (see AppendQueue). */
  async exclusive<T>(write: () => T): Promise<T> {
    this.flush();
    return write();
  }

  async close(): Promise<void> {
    this.flush();
  }

  /**
   * Writes a group in one transaction. One bad message (e.g. a conversation deleted meanwhile) rolls the
   * group back; the others must not fail with it, so they are then written one transaction each and only
   * the bad ones fail. Used in this thread and by the writer thread (append-worker.ts).
   */
  writeGroup(batch: readonly NewMessage[]): Outcome[] {
    try {
      return this.writeBatch(batch).map((result) => ({ result }));
    } catch {
      return batch.map((message) => {
        try {
          return { result: must(this.writeBatch([message])[0], "batch result") };
        } catch (error) {
          return { error };
        }
      });
    }
  }

  /** Runs inside the batch transaction; a duplicate earlier in the same batch is already visible here. */
  private writeOne(m: NewMessage, names: Map<number, string>): AppendResult {
    const inserted = this.insert.get(
      m.ts,
      m.fromUserId,
      m.body,
      m.cid,
      m.hiddenFor ?? null,
      m.replyTo ?? null,
      m.notice ? 1 : 0,
      m.clientTags ? JSON.stringify(m.clientTags) : null,
      m.convId,
    );
    if (!inserted) {
      const existing = this.byCid.get({ from: m.fromUserId, cid: m.cid });
      if (!existing) throw new StoreGoneError("conversation", m.convId);
      const first = must(this.byId.get({ id: existing.id }), "duplicate message not found");
      return { message: toMessage(first), duplicate: true };
    }
    const { id, seq } = inserted;
    this.bumpSeq.run(seq, m.convId);
    let from = names.get(m.fromUserId);
    if (from === undefined) {
      // The foreign key on from_user_id already guaranteed the user exists.
      from = must(this.username.get({ id: m.fromUserId }), `no user with id ${m.fromUserId}`).username;
      names.set(m.fromUserId, from);
    }
    const message: MessageRecord = {
      id,
      convId: m.convId,
      seq,
      ts: m.ts,
      fromUserId: m.fromUserId,
      from,
      body: m.body,
      cid: m.cid,
    };
    if (m.replyTo !== undefined) message.replyTo = m.replyTo;
    if (m.notice) message.notice = true;
    if (m.clientTags) message.clientTags = m.clientTags;
    return { message, duplicate: false };
  }
}
