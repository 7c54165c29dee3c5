/**
 * Edits, deletions and reactions (entries numbered in the conversation's seq), resume replay of
 * messages and entries together, reaction counts and full-text search (FTS5, see migration v5).
 */
import type { Database } from "better-sqlite3";
import {
  RELEVANCE_WINDOW,
  type ConvId,
  type EntryKind,
  type EntryRecord,
  type EntryResult,
  type MessageRecord,
  type NewEntry,
  type ReactionCounts,
  type SearchHit,
  type SearchQuery,
  type SearchTerm,
  type Sequenced,
  type UserId,
} from "../store.js";
import { must, opt, stmt } from "./keys.js";
import { MESSAGE_COLUMNS, MESSAGE_JOINS, MESSAGE_SELECT, toMessage, type MessageRow } from "./messages.js";

interface EntryRow {
  id: number;
  conv_id: number;
  seq: number;
  ts: number;
  kind: EntryKind;
  message_id: number;
  message_seq: number | string | null;
  user_id: number;
  username: string;
  body: string;
  cid: string | null;
}

// The changed message's seq comes by its primary key (IRC builds its msgid from it).
const ENTRY_SELECT = `SELECT e.id, e.conv_id, e.seq, e.ts, e.kind, e.message_id, om.seq AS message_seq, e.user_id,
    u.username, e.body, e.cid
  FROM message_entries e JOIN users u ON u.id = e.user_id LEFT JOIN messages om ON om.id = e.message_id`;

function toEntry(row: EntryRow): EntryRecord {
  const entry: EntryRecord = {
    id: row.id,
    convId: row.conv_id,
    seq: row.seq,
    ts: row.ts,
    kind: row.kind,
    messageId: row.message_id,
    userId: row.user_id,
    user: row.username,
    body: row.body,
  };
  if (row.message_seq !== null) entry.messageSeq = Number(row.message_seq);
  const cid = opt(row.cid);
  if (cid !== undefined) entry.cid = cid;
  return entry;
}

/** One term as FTS5 query syntax: always a quoted string, so no character of it is an operator. */
function ftsTerm(term: SearchTerm): string {
  const quoted = `"${term.text.replaceAll('"', '""')}"`;
  return term.kind === "prefix" ? `${quoted} *` : quoted;
}

export function ftsQuery(terms: readonly SearchTerm[]): string {
  return terms.map(ftsTerm).join(" AND ");
}

interface SearchRow extends MessageRow {
  snippet: string;
}

export class EntryRepo {
  private readonly byId;
  private readonly byCid;
  private readonly target;
  private readonly edit;
  private readonly erase;
  private readonly eraseEdits;
  private readonly dropReactions;
  private readonly hasReaction;
  private readonly countReactions;
  private readonly addReaction;
  private readonly removeReaction;
  private readonly nextSeq;
  private readonly insert;
  private readonly messagesAfter;
  private readonly entriesAfter;
  private readonly counts;
  private readonly tx;
  private readonly indexTx;

  constructor(private readonly db: Database) {
    this.byId = stmt<{ id: number }, MessageRow>(db, `${MESSAGE_SELECT} WHERE m.id = :id`);
    this.byCid = stmt<{ user: number; cid: string }, EntryRow>(
      db,
      `${ENTRY_SELECT} WHERE e.user_id = :user AND e.cid = :cid`,
    );
    this.target = stmt<{ id: number }, { conv_id: number; deleted_at: number | null }>(
      db,
      `SELECT conv_id, deleted_at FROM messages WHERE id = :id`,
    );
    this.edit = stmt<{ id: number; body: string; ts: number }>(
      db,
      `UPDATE messages SET body = :body, edited_at = :ts WHERE id = :id`,
    );
    this.erase = stmt<{ id: number; ts: number; by: number }>(
      db,
      `UPDATE messages SET body = '', client_tags = NULL, deleted_at = :ts, deleted_by = :by WHERE id = :id`,
    );
    this.eraseEdits = stmt<{ id: number }>(
      db,
      `UPDATE message_entries SET body = '' WHERE message_id = :id AND kind = 'edit'`,
    );
    this.dropReactions = stmt<{ id: number }>(db, `DELETE FROM reactions WHERE message_id = :id`);
    this.hasReaction = stmt<{ id: number; user: number; emoji: string }, { one: number }>(
      db,
      `SELECT 1 AS one FROM reactions WHERE message_id = :id AND user_id = :user AND emoji = :emoji`,
    );
    this.countReactions = stmt<{ id: number; user: number }, { n: number }>(
      db,
      `SELECT count(*) AS n FROM reactions WHERE message_id = :id AND user_id = :user`,
    );
    this.addReaction = stmt<{ id: number; user: number; emoji: string; ts: number }>(
      db,
      `INSERT INTO reactions (message_id, user_id, emoji, at) VALUES (:id, :user, :emoji, :ts)`,
    );
    this.removeReaction = stmt<{ id: number; user: number; emoji: string }>(
      db,
      `DELETE FROM reactions WHERE message_id = :id AND user_id = :user AND emoji = :emoji`,
    );
    // The same counter as messages (appender.ts): entries and messages share one seq per conversation.
    this.nextSeq = stmt<{ conv: number }, { seq: number }>(
      db,
      `UPDATE conversations SET last_seq = last_seq + 1 WHERE id = :conv RETURNING last_seq AS seq`,
    );
    this.insert = stmt<
      {
        conv: number;
        seq: number;
        ts: number;
        kind: EntryKind;
        message: number;
        user: number;
        body: string;
        cid: string | null;
        hidden: number | null;
      },
      { id: number }
    >(
      db,
      `INSERT INTO message_entries (conv_id, seq, ts, kind, message_id, user_id, body, cid, hidden_for)
       VALUES (:conv, :seq, :ts, :kind, :message, :user, :body, :cid, :hidden) RETURNING id`,
    );
    this.messagesAfter = stmt<{ conv: number; after: number; viewer: number; limit: number }, MessageRow>(
      db,
      `${MESSAGE_SELECT} WHERE m.conv_id = :conv AND m.seq > :after
         AND (m.hidden_for IS NULL OR m.hidden_for <> :viewer) ORDER BY m.seq LIMIT :limit`,
    );
    this.entriesAfter = stmt<{ conv: number; after: number; viewer: number; limit: number }, EntryRow>(
      db,
      `${ENTRY_SELECT} WHERE e.conv_id = :conv AND e.seq > :after
         AND (e.hidden_for IS NULL OR e.hidden_for <> :viewer) ORDER BY e.seq LIMIT :limit`,
    );
    this.counts = stmt<
      { ids: string; viewer: number },
      { message_id: number; emoji: string; n: number; me: number }
    >(
      db,
      `SELECT r.message_id, r.emoji, count(*) AS n, max(r.user_id = :viewer) AS me
       FROM reactions r
       WHERE r.message_id IN (SELECT value FROM json_each(:ids))
         AND r.user_id NOT IN (SELECT blocked_id FROM blocks WHERE user_id = :viewer)
       GROUP BY r.message_id, r.emoji ORDER BY r.message_id, min(r.at), r.emoji`,
    );
    this.tx = db.transaction((e: NewEntry) => this.write(e));
    const mark = stmt<Record<string, never>, { indexed_to: number; top: number }>(
      db,
      `SELECT indexed_to, (SELECT coalesce(max(id), 0) FROM messages) AS top FROM fts_progress`,
    );
    const index = stmt<{ from: number; to: number }>(
      db,
      `INSERT INTO messages_fts (rowid, body)
       SELECT id, body FROM messages WHERE id > :from AND id <= :to AND body <> ''`,
    );
    const advance = stmt<{ to: number }>(db, `UPDATE fts_progress SET indexed_to = :to`);
    this.indexTx = db.transaction((batch: number) => {
      const { indexed_to: from, top } = must(mark.get({}), "fts_progress has no row");
      if (top <= from) return 0;
      const to = Math.min(top, from + batch);
      index.run({ from, to });
      advance.run({ to });
      return top - to;
    });
  }

  /**
   * Indexes up to `batch` messages past the index's mark (fts_progress) in one transaction; returns
   * how many are still to do. Call it as a write (after the appends called before it).
   */
  catchUp(batch: number): number {
    return this.indexTx.immediate(batch);
  }

  getMessage(id: number): MessageRecord | undefined {
    const row = this.byId.get({ id });
    return row && toMessage(row);
  }

  append(e: NewEntry): EntryResult {
    const result = this.tx.immediate(e);
    if (e.kind === "delete" && result.result === "stored" && !this.db.memory) {
      // The body is gone from the database pages (secure_delete) but older copies of them are still
      // frames of the WAL: fold the WAL into the database and cut it to nothing.
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    }
    return result;
  }

  private write(e: NewEntry): EntryResult {
    if (e.cid !== undefined) {
      const first = this.byCid.get({ user: e.userId, cid: e.cid });
      if (first) return { result: "duplicate", entry: toEntry(first) };
    }
    const target = this.target.get({ id: e.messageId });
    if (!target || target.conv_id !== e.convId || target.deleted_at !== null) return { result: "gone" };
    const id = e.messageId;
    switch (e.kind) {
      case "edit":
        this.edit.run({ id, body: e.body, ts: e.ts });
        break;
      case "delete":
        this.erase.run({ id, ts: e.ts, by: e.userId });
        this.eraseEdits.run({ id });
        this.dropReactions.run({ id });
        break;
      case "react": {
        const key = { id, user: e.userId, emoji: e.body };
        if (this.hasReaction.get(key)) return { result: "unchanged" };
        if (e.maxReactions !== undefined && this.countReactions.get(key)!.n >= e.maxReactions) {
          return { result: "limit" };
        }
        this.addReaction.run({ ...key, ts: e.ts });
        break;
      }
      case "unreact":
        if (this.removeReaction.run({ id, user: e.userId, emoji: e.body }).changes === 0) {
          return { result: "unchanged" };
        }
        break;
    }
    const seq = must(this.nextSeq.get({ conv: e.convId }), "conversation vanished").seq;
    const row = must(
      this.insert.get({
        conv: e.convId,
        seq,
        ts: e.ts,
        kind: e.kind,
        message: id,
        user: e.userId,
        body: e.kind === "delete" ? "" : e.body,
        cid: e.cid ?? null,
        hidden: e.hiddenFor ?? null,
      }),
      "entry insert returned no row",
    );
    return { result: "stored", entry: must(this.entryById(row.id), "entry not found") };
  }

  private entryById(id: number): EntryRecord | undefined {
    const row = this.db.prepare<[number], EntryRow>(`${ENTRY_SELECT} WHERE e.id = ?`).get(id);
    return row && toEntry(row);
  }

  sequenced(convId: ConvId, after: number, limit: number, viewerId: UserId): Sequenced[] {
    const params = { conv: convId, after, viewer: viewerId, limit };
    // The first `limit` of each table hold the first `limit` of both together.
    const items: Sequenced[] = [
      ...this.messagesAfter.all(params).map((row) => ({ message: toMessage(row) })),
      ...this.entriesAfter.all(params).map((row) => ({ entry: toEntry(row) })),
    ];
    items.sort((a, b) => (a.message ?? a.entry!).seq - (b.message ?? b.entry!).seq);
    return items.slice(0, limit);
  }

  reactions(messageIds: readonly number[], viewerId: UserId): Map<number, ReactionCounts> {
    const out = new Map<number, ReactionCounts>();
    if (messageIds.length === 0) return out;
    for (const row of this.counts.all({ ids: JSON.stringify(messageIds), viewer: viewerId })) {
      let counts = out.get(row.message_id);
      if (!counts) out.set(row.message_id, (counts = new Map()));
      counts.set(row.emoji, { count: row.n, me: row.me === 1 });
    }
    return out;
  }

  search(q: SearchQuery): SearchHit[] {
    if (q.terms.length === 0 || q.convIds.length === 0) return [];
    const params: Record<string, unknown> = {
      match: ftsQuery(q.terms),
      convs: JSON.stringify(q.convIds),
      viewer: q.viewerId,
    };
    if (q.fromUserId !== undefined) params.from = q.fromUserId;
    // The unary `+` keeps SQLite from driving the query by the messages' indexes (all of a room's
    // messages, each then tested against the index): FTS5 walks its doclists newest first and the
    // filters drop what is not the viewer's, so the usual query reads about `limit` matching rows.
    const filters = `AND +m.conv_id IN (SELECT value FROM json_each(:convs))
        AND m.deleted_at IS NULL AND (m.hidden_for IS NULL OR m.hidden_for <> :viewer)
        ${q.fromUserId !== undefined ? "AND +m.from_user_id = :from" : ""}`;
    if (q.sort === "newest") {
      const sql = `SELECT ${MESSAGE_COLUMNS},
          snippet(messages_fts, 0, char(1), char(2), '…', 16) AS snippet
        FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid ${MESSAGE_JOINS}
        WHERE messages_fts MATCH :match AND messages_fts.rowid < :before ${filters}
        ORDER BY messages_fts.rowid DESC LIMIT :limit`;
      const rows = this.db
        .prepare<[Record<string, unknown>], SearchRow>(sql)
        .all({ ...params, before: q.beforeId ?? Number.MAX_SAFE_INTEGER, limit: q.limit });
      return rows.map((row) => ({ message: toMessage(row), snippet: row.snippet }));
    }
    // Relevance (bm25) among the newest RELEVANCE_WINDOW matches: ranking every match of a common word
    // in a large hub costs a bm25 per match, and chat search wants the recent ones first anyway.
    const ranked = this.db
      .prepare<[Record<string, unknown>], { id: number }>(
        `SELECT id FROM (
           SELECT messages_fts.rowid AS id, messages_fts.rank AS score
           FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
           WHERE messages_fts MATCH :match ${filters}
           ORDER BY messages_fts.rowid DESC LIMIT ${RELEVANCE_WINDOW})
         ORDER BY score, id DESC LIMIT :limit OFFSET :offset`,
      )
      .all({ ...params, limit: q.limit, offset: q.offset ?? 0 });
    if (ranked.length === 0) return [];
    const ids = ranked.map((r) => r.id);
    const rows = this.db
      .prepare<[Record<string, unknown>], SearchRow>(
        `SELECT ${MESSAGE_COLUMNS}, snippet(messages_fts, 0, char(1), char(2), '…', 16) AS snippet
         FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid ${MESSAGE_JOINS}
         WHERE messages_fts MATCH :match AND messages_fts.rowid IN (SELECT value FROM json_each(:ids))`,
      )
      .all({ match: params.match, ids: JSON.stringify(ids) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ message: toMessage(row), snippet: row.snippet }] : [];
    });
  }
}
