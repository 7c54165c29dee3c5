/**
 * How the hub names things: id types, the one name-folding function, and cursor keys.
 *
 * Usernames and room names are matched ignoring case ("Alice" and "alice" are one account); records keep
 * the spelling given at creation. Every comparison, cache key, store key and cursor key goes through
 * `fold`, so the hub cannot disagree with itself about which names are the same. Names are restricted to
 * a-z, 0-9, `_` and `-` (protocol/limits.ts), so this folding agrees with PostgreSQL's `lower()`, which
 * the PostgreSQL store uses in its indexes.
 */

export type UserId = number;
export type RoomId = number;
/** A conversation: a room's or a DM pair's, the unit that `seq` counts in. */
export type ConvId = number;

/** A name in its folded form; only `fold` makes one. */
export type NameKey = string & { readonly __folded: true };

/** The form under which names are unique, looked up and compared. */
export function fold(name: string): NameKey {
  return name.toLowerCase() as NameKey;
}

/** Whether two names are the same name. */
export function sameName(a: string, b: string): boolean {
  return a === b || fold(a) === fold(b);
}

/**
 * The keys of `resume` cursors (PROTOCOL.md): "room:NAME" or "dm:USER", folded. The hub keeps its own
 * ordering state by conversation id (see gateway/delivery.ts); these keys are only how clients name them.
 */
export type CursorKey = `room:${NameKey}` | `dm:${NameKey}`;

export function roomCursor(room: string): CursorKey {
  return `room:${fold(room)}`;
}

export function dmCursor(otherUsername: string): CursorKey {
  return `dm:${fold(otherUsername)}`;
}

/** The cursor key of a message as its receiver sees it (`room`, or `user` for the other party). */
export function cursorKeyOf(m: { room?: string | undefined; user?: string | undefined }): CursorKey {
  return m.room !== undefined ? roomCursor(m.room) : dmCursor(m.user ?? "");
}

/** A client's cursors, folded (clients may send keys in any case). */
export function foldCursors(cursors: Record<string, number> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, seq] of Object.entries(cursors ?? {})) out.set(fold(key), seq);
  return out;
}
