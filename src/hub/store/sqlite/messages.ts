/** Conversations (room and DM), history, read markers and the DM list. */
import type { Database } from "better-sqlite3";
import {
  QUOTE_SOURCE_CHARS,
  type ConvId,
  type DmConversationRecord,
  type HistoryQuery,
  type MessageRecord,
  type UserId,
} from "../store.js";
import { must, compact, opt, stmt } from "./keys.js";

export interface MessageRow {
  id: number;
  conv_id: number;
  seq: number;
  ts: number;
  from_user_id: number;
  username: string;
  body: string;
  cid: string | null;
  reply_to: number | null;
  edited_at: number | null;
  deleted_at: number | null;
  deleted_by: number | null;
  deleted_by_name: string | null;
  reply_id: number | null;
  reply_seq: number | null;
  reply_from: string | null;
  reply_body: string | null;
  reply_deleted: number | null;
  notice: number;
  client_tags: string | null;
}

// The reply's original is read as it is now, so erasing it erases every quote of it.
export const MESSAGE_COLUMNS = `m.id, m.conv_id, m.seq, m.ts, m.from_user_id, u.username, m.body, m.cid,
    m.reply_to, m.edited_at, m.deleted_at, m.deleted_by, du.username AS deleted_by_name,
    r.id AS reply_id, r.seq AS reply_seq, ru.username AS reply_from, substr(r.body, 1, ${QUOTE_SOURCE_CHARS}) AS reply_body,
    r.deleted_at AS reply_deleted, m.notice, m.client_tags`;
/** What MESSAGE_COLUMNS reads besides `messages m`. */
export const MESSAGE_JOINS = `JOIN users u ON u.id = m.from_user_id
  LEFT JOIN users du ON du.id = m.deleted_by
  LEFT JOIN messages r ON r.id = m.reply_to
  LEFT JOIN users ru ON ru.id = r.from_user_id`;
export const MESSAGE_SELECT = `SELECT ${MESSAGE_COLUMNS} FROM messages m ${MESSAGE_JOINS}`;

export function toMessage(row: MessageRow): MessageRecord {
  const message: MessageRecord = compact({
    id: row.id,
    convId: row.conv_id,
    seq: row.seq,
    ts: row.ts,
    fromUserId: row.from_user_id,
    from: row.username,
    body: row.body,
    cid: opt(row.cid),
    editedAt: opt(row.edited_at),
  });
  if (row.reply_to !== null) {
    message.replyTo = row.reply_to;
    // An original erased with its author's account reads as deleted.
    message.reply =
      row.reply_id === null
        ? { from: "", body: "", deleted: true }
        : {
            ...(row.reply_seq !== null && { seq: row.reply_seq }),
            from: row.reply_from ?? "",
            body: row.reply_body ?? "",
            deleted: row.reply_deleted !== null,
          };
  }
  if (row.deleted_at !== null) {
    message.deleted = { at: row.deleted_at, byUserId: row.deleted_by ?? 0, by: row.deleted_by_name ?? "" };
  }
  if (row.notice === 1) message.notice = true;
  if (row.client_tags !== null) message.clientTags = JSON.parse(row.client_tags) as Record<string, string>;
  return message;
}

interface DmRow {
  conv_id: number;
  other_id: number;
  other_username: string;
  last_seq: number;
  read_seq: number;
  unread: number;
  has_visible: 0 | 1;
}

interface HistoryParams {
  conv: number;
  after: number;
  before: number;
  viewer: number;
  limit: number;
}

// Both walk messages_conv_seq; hidden rows are filtered before LIMIT so a page is never short because of them.
const HISTORY_WHERE = `WHERE m.conv_id = :conv AND m.seq > :after AND m.seq < :before
  AND (m.hidden_for IS NULL OR m.hidden_for <> :viewer)`;

export class MessageRepo {
  private readonly findDm;
  private readonly insertDm;
  private readonly forward;
  private readonly backward;
  private readonly last;
  private readonly dms;
  private readonly markRead;
  private readonly readMarker;

  constructor(private readonly db: Database) {
    this.findDm = stmt<{ a: number; b: number }, { id: number }>(
      db,
      `SELECT id FROM conversations WHERE kind = 'dm' AND user_a = :a AND user_b = :b`,
    );
    this.insertDm = stmt<{ a: number; b: number }, { id: number }>(
      db,
      `INSERT INTO conversations (kind, user_a, user_b) VALUES ('dm', :a, :b) RETURNING id`,
    );
    this.forward = stmt<HistoryParams, MessageRow>(
      db,
      `${MESSAGE_SELECT} ${HISTORY_WHERE} ORDER BY m.seq ASC LIMIT :limit`,
    );
    this.backward = stmt<HistoryParams, MessageRow>(
      db,
      `${MESSAGE_SELECT} ${HISTORY_WHERE} ORDER BY m.seq DESC LIMIT :limit`,
    );
    this.last = stmt<{ conv: number }, { last_seq: number }>(
      db,
      `SELECT last_seq FROM conversations WHERE id = :conv`,
    );
    // Unread: after the read marker, from the other party, not hidden for me — counted on messages_conv_seq.
    this.dms = stmt<{ me: number }, DmRow>(
      db,
      `SELECT c.id AS conv_id, u.id AS other_id, u.username AS other_username, c.last_seq,
         COALESCE(r.seq, 0) AS read_seq,
         (SELECT COUNT(*) FROM messages m
           WHERE m.conv_id = c.id AND m.seq > COALESCE(r.seq, 0) AND m.from_user_id <> :me
             AND (m.hidden_for IS NULL OR m.hidden_for <> :me)) AS unread,
         EXISTS (SELECT 1 FROM messages seen
                 WHERE seen.conv_id = c.id AND (seen.hidden_for IS NULL OR seen.hidden_for <> :me))
           AS has_visible
       FROM conversations c
       JOIN users u ON u.id = CASE WHEN c.user_a = :me THEN c.user_b ELSE c.user_a END
       LEFT JOIN read_markers r ON r.user_id = :me AND r.conv_id = c.id
       WHERE c.kind = 'dm' AND (c.user_a = :me OR c.user_b = :me)
       ORDER BY u.username_key`,
    );
    this.markRead = stmt<{ user: number; conv: number; seq: number }>(
      db,
      `INSERT INTO read_markers (user_id, conv_id, seq) VALUES (:user, :conv, :seq)
       ON CONFLICT (user_id, conv_id) DO UPDATE SET seq = max(seq, excluded.seq)`,
    );
    this.readMarker = stmt<{ user: number; conv: number }, { seq: number }>(
      db,
      `SELECT seq FROM read_markers WHERE user_id = :user AND conv_id = :conv`,
    );
  }

  dmConversation(a: UserId, b: UserId, create: boolean): ConvId | undefined {
    // One row per pair whichever side asks: the pair is stored smaller id first.
    const pair = a <= b ? { a, b } : { a: b, b: a };
    const found = this.findDm.get(pair);
    if (found || !create) return found?.id;
    return must(this.insertDm.get(pair), "conversation insert returned no row").id;
  }

  history(convId: ConvId, q: HistoryQuery, viewerId: UserId): MessageRecord[] {
    const params: HistoryParams = {
      conv: convId,
      after: q.after ?? 0,
      before: q.before ?? Number.MAX_SAFE_INTEGER,
      viewer: viewerId,
      limit: q.limit,
    };
    // With `after`, page forward from it (catching up); otherwise the newest page before `before` (or the end).
    if (q.after !== undefined) return this.forward.all(params).map(toMessage);
    return this.backward.all(params).reverse().map(toMessage);
  }

  lastSeq(convId: ConvId): number {
    return this.last.get({ conv: convId })?.last_seq ?? 0;
  }

  dmConversations(userId: UserId): DmConversationRecord[] {
    return this.dms.all({ me: userId }).map((r) => ({
      convId: r.conv_id,
      otherUserId: r.other_id,
      otherUsername: r.other_username,
      lastSeq: r.last_seq,
      readSeq: r.read_seq,
      unread: r.unread,
      hasVisible: r.has_visible === 1,
    }));
  }

  setRead(userId: UserId, convId: ConvId, seq: number): void {
    this.markRead.run({ user: userId, conv: convId, seq });
  }

  getRead(userId: UserId, convId: ConvId): number {
    return this.readMarker.get({ user: userId, conv: convId })?.seq ?? 0;
  }
}
