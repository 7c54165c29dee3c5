/**
 * Edits, deletions and reactions (entries numbered in the conversation's seq), resume replay, reaction
 * counts and full-text search (tsvector + GIN, migration v7) on PostgreSQL; the same contract as
 * src/hub/store/sqlite/entries.ts.
 */
import type pg from "pg";
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
import { FULL_MESSAGE_COLUMNS, MESSAGE_JOINS, messageFromRow, type MessageRow } from "./rows.js";

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
  if (row.cid !== null) entry.cid = row.cid;
  return entry;
}

/** A record from the row append_message() returns, with the reply it was given (not read back). */
export function withReply(message: MessageRecord, sent: { replyTo?: number }): MessageRecord {
  if (sent.replyTo !== undefined) message.replyTo = sent.replyTo;
  return message;
}

/** A prefix term as to_tsquery text: only letters, digits and `_` of it, lowercased, then `:*`. */
function prefixLexeme(text: string): string | undefined {
  const word = text.toLowerCase().replace(/[^\p{L}\p{N}_]/gu, "");
  return word === "" ? undefined : `${word}:*`;
}

/** The terms as one tsquery expression over numbered parameters (pushed onto `params`). */
function tsQuery(terms: readonly SearchTerm[], params: unknown[]): string | undefined {
  const parts: string[] = [];
  for (const term of terms) {
    if (term.kind === "prefix") {
      const lexeme = prefixLexeme(term.text);
      if (lexeme === undefined) continue;
      params.push(lexeme);
      parts.push(`to_tsquery('simple', $${params.length})`);
    } else {
      params.push(term.text);
      const fn = term.kind === "phrase" ? "phraseto_tsquery" : "plainto_tsquery";
      parts.push(`${fn}('simple', $${params.length})`);
    }
  }
  return parts.length === 0 ? undefined : parts.join(" && ");
}

type Tx = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

export class PgEntries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: Tx,
  ) {}

  async getMessage(id: number): Promise<MessageRecord | undefined> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT ${FULL_MESSAGE_COLUMNS} FROM messages msg ${MESSAGE_JOINS} WHERE msg.id = $1`,
      [id],
    );
    return rows[0] && messageFromRow(rows[0]);
  }

  async append(e: NewEntry): Promise<EntryResult> {
    try {
      return await this.tx((c) => this.write(c, e));
    } catch (err) {
      // Two tries of one cid at once (two nodes): the second finds the first's entry.
      if ((err as { code?: string }).code === "23505" && e.cid !== undefined) {
        const first = await this.byCid(this.pool, e.userId, e.cid);
        if (first) return { result: "duplicate", entry: first };
      }
      throw err;
    }
  }

  private async byCid(
    db: pg.Pool | pg.PoolClient,
    user: UserId,
    cid: string,
  ): Promise<EntryRecord | undefined> {
    const { rows } = await db.query<EntryRow>(`${ENTRY_SELECT} WHERE e.user_id = $1 AND e.cid = $2`, [
      user,
      cid,
    ]);
    return rows[0] && toEntry(rows[0]);
  }

  private async write(c: pg.PoolClient, e: NewEntry): Promise<EntryResult> {
    if (e.cid !== undefined) {
      const first = await this.byCid(c, e.userId, e.cid);
      if (first) return { result: "duplicate", entry: first };
    }
    // The row lock orders changes to one message across nodes (an edit racing a deletion).
    const target = await c.query<{ conv_id: number; deleted_at: number | null }>(
      "SELECT conv_id, deleted_at FROM messages WHERE id = $1 FOR UPDATE",
      [e.messageId],
    );
    const t = target.rows[0];
    if (!t || t.conv_id !== e.convId || t.deleted_at !== null) return { result: "gone" };
    const id = e.messageId;
    switch (e.kind) {
      case "edit":
        await c.query("UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1", [id, e.body, e.ts]);
        break;
      case "delete":
        await c.query(
          "UPDATE messages SET body = '', client_tags = NULL, deleted_at = $2, deleted_by = $3 WHERE id = $1",
          [id, e.ts, e.userId],
        );
        await c.query("UPDATE message_entries SET body = '' WHERE message_id = $1 AND kind = 'edit'", [id]);
        await c.query("DELETE FROM reactions WHERE message_id = $1", [id]);
        break;
      case "react": {
        if (e.maxReactions !== undefined) {
          const { rows } = await c.query<{ n: number; mine: boolean }>(
            `SELECT count(*)::int AS n, bool_or(emoji = $3) AS mine FROM reactions
             WHERE message_id = $1 AND user_id = $2`,
            [id, e.userId, e.body],
          );
          if (rows[0]?.mine) return { result: "unchanged" };
          if ((rows[0]?.n ?? 0) >= e.maxReactions) return { result: "limit" };
        }
        const added = await c.query(
          "INSERT INTO reactions (message_id, user_id, emoji, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
          [id, e.userId, e.body, e.ts],
        );
        if (added.rowCount === 0) return { result: "unchanged" };
        break;
      }
      case "unreact": {
        const removed = await c.query(
          "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
          [id, e.userId, e.body],
        );
        if (removed.rowCount === 0) return { result: "unchanged" };
        break;
      }
    }
    // The same counter (and row lock) as append_message(): messages and entries share one seq.
    const seq = await c.query<{ seq: number }>(
      "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq AS seq",
      [e.convId],
    );
    if (!seq.rows[0]) return { result: "gone" };
    const inserted = await c.query<{ id: number }>(
      `INSERT INTO message_entries (conv_id, seq, ts, kind, message_id, user_id, body, cid, hidden_for)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [
        e.convId,
        seq.rows[0].seq,
        e.ts,
        e.kind,
        id,
        e.userId,
        e.kind === "delete" ? "" : e.body,
        e.cid ?? null,
        e.hiddenFor ?? null,
      ],
    );
    const { rows } = await c.query<EntryRow>(`${ENTRY_SELECT} WHERE e.id = $1`, [inserted.rows[0]!.id]);
    return { result: "stored", entry: toEntry(rows[0]!) };
  }

  async sequenced(convId: ConvId, after: number, limit: number, viewerId: UserId): Promise<Sequenced[]> {
    const [messages, entries] = await Promise.all([
      this.pool.query<MessageRow>(
        `SELECT ${FULL_MESSAGE_COLUMNS} FROM messages msg ${MESSAGE_JOINS}
         WHERE msg.conv_id = $1 AND msg.seq > $2 AND msg.hidden_for IS DISTINCT FROM $3
         ORDER BY msg.seq LIMIT $4`,
        [convId, after, viewerId, limit],
      ),
      this.pool.query<EntryRow>(
        `${ENTRY_SELECT} WHERE e.conv_id = $1 AND e.seq > $2 AND e.hidden_for IS DISTINCT FROM $3
         ORDER BY e.seq LIMIT $4`,
        [convId, after, viewerId, limit],
      ),
    ]);
    const items: Sequenced[] = [
      ...messages.rows.map((row) => ({ message: messageFromRow(row) })),
      ...entries.rows.map((row) => ({ entry: toEntry(row) })),
    ];
    items.sort((a, b) => (a.message ?? a.entry!).seq - (b.message ?? b.entry!).seq);
    return items.slice(0, limit);
  }

  async reactions(messageIds: readonly number[], viewerId: UserId): Promise<Map<number, ReactionCounts>> {
    const out = new Map<number, ReactionCounts>();
    if (messageIds.length === 0) return out;
    const { rows } = await this.pool.query<{ message_id: number; emoji: string; n: number; me: boolean }>(
      `SELECT r.message_id, r.emoji, count(*)::int AS n, bool_or(r.user_id = $2) AS me
       FROM reactions r
       WHERE r.message_id = ANY($1::bigint[])
         AND r.user_id NOT IN (SELECT blocked_id FROM blocks WHERE user_id = $2)
       GROUP BY r.message_id, r.emoji ORDER BY r.message_id, min(r.at), r.emoji`,
      [messageIds, viewerId],
    );
    for (const row of rows) {
      let counts = out.get(row.message_id);
      if (!counts) out.set(row.message_id, (counts = new Map()));
      counts.set(row.emoji, { count: row.n, me: row.me });
    }
    return out;
  }

  async search(q: SearchQuery): Promise<SearchHit[]> {
    if (q.convIds.length === 0) return [];
    const params: unknown[] = [];
    const query = tsQuery(q.terms, params);
    if (query === undefined) return [];
    params.push(q.convIds, q.viewerId, q.limit);
    const [convs, viewer, limit] = [params.length - 2, params.length - 1, params.length];
    const where: string[] = [];
    if (q.fromUserId !== undefined) {
      params.push(q.fromUserId);
      where.push(`AND msg.from_user_id = $${params.length}`);
    }
    const newest = q.sort === "newest";
    if (newest && q.beforeId !== undefined) {
      params.push(q.beforeId);
      where.push(`AND msg.id < $${params.length}`);
    }
    let offset = "";
    if (!newest) {
      params.push(q.offset ?? 0);
      offset = `OFFSET $${params.length}`;
    }
    const headline = `ts_headline('simple', msg.body, q.query,
           'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=24, MinWords=8, ShortWord=0, MaxFragments=1')
           AS snippet`;
    const filters = `msg.conv_id = ANY($${convs}::bigint[]) AND msg.deleted_at IS NULL
         AND msg.hidden_for IS DISTINCT FROM $${viewer} ${where.join(" ")}`;
    const sql = newest
      ? `WITH q AS (SELECT ${query} AS query)
         SELECT ${FULL_MESSAGE_COLUMNS}, ${headline}
         FROM messages msg JOIN q ON msg.tsv @@ q.query ${MESSAGE_JOINS}
         WHERE ${filters}
         ORDER BY msg.id DESC LIMIT $${limit}`
      : // Relevance among the newest RELEVANCE_WINDOW matches, as on SQLite; ts_rank normalised by
        // length (1), as bm25 is: a word in a short message ranks higher.
        `WITH q AS (SELECT ${query} AS query),
         cand AS (SELECT msg.id, ts_rank(msg.tsv, q.query, 1) AS score
                  FROM messages msg JOIN q ON msg.tsv @@ q.query
                  WHERE ${filters} ORDER BY msg.id DESC LIMIT ${RELEVANCE_WINDOW})
         SELECT ${FULL_MESSAGE_COLUMNS}, ${headline}
         FROM cand JOIN messages msg ON msg.id = cand.id CROSS JOIN q ${MESSAGE_JOINS}
         ORDER BY cand.score DESC, msg.id DESC LIMIT $${limit} ${offset}`;
    const { rows } = await this.pool.query<MessageRow & { snippet: string }>(sql, params);
    return rows.map((row) => ({ message: messageFromRow(row), snippet: row.snippet }));
  }
}
