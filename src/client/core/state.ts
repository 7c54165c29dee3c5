/**
 * Local state as pure functions: (state, input) → new state. No I/O, no timers, so every rule about
 * ordering, dedupe, unread counts and renames is unit-tested here without a hub.
 */
import type { AnyEvent, Conversation, Member, Message, Quote, Room, User } from "../../protocol/index.js";
import { QUOTE_CHARS } from "../../protocol/limits.js";
import { dmKey, mentions, parseKey, roomKey } from "./keys.js";
import type {
  ClientState,
  ConversationKey,
  ConversationState,
  DmState,
  HubInfo,
  MessageNotice,
  OutboxEntry,
  RoomState,
} from "./types.js";

export interface Settings {
  muted: { rooms: readonly string[]; users: readonly string[] };
  blocked: readonly string[];
}

export function initialState(): ClientState {
  return {
    me: null,
    hub: null,
    rooms: {},
    dms: {},
    users: {},
    online: [],
    muted: { rooms: [], users: [] },
    blocked: [],
    outbox: [],
    focus: null,
  };
}

// ---------------------------------------------------------------- small helpers

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

export function getConversation(state: ClientState, key: ConversationKey): ConversationState | undefined {
  const parsed = parseKey(key);
  if (!parsed) return undefined;
  return parsed.kind === "room" ? state.rooms[parsed.name] : state.dms[parsed.name];
}

function putConversation(state: ClientState, conv: ConversationState): ClientState {
  if (conv.kind === "room") return { ...state, rooms: { ...state.rooms, [conv.name]: conv } };
  const next = { ...state, dms: { ...state.dms, [conv.name]: conv } };
  // A new DM partner is someone the hub now keeps us posted about.
  return state.dms[conv.name] ? next : withOnline(next);
}

function isMutedKey(state: Pick<ClientState, "muted">, key: ConversationKey): boolean {
  const parsed = parseKey(key);
  if (!parsed) return false;
  return parsed.kind === "room"
    ? state.muted.rooms.includes(parsed.name)
    : state.muted.users.includes(parsed.name);
}

function isOwn(state: ClientState, message: Message): boolean {
  return state.me !== null && message.from === state.me.username;
}

/** Unread = messages from others after the read marker, among the loaded ones. */
function countUnread(state: ClientState, messages: readonly Message[], readSeq: number): number {
  let count = 0;
  for (const m of messages) if (m.seq > readSeq && !isOwn(state, m)) count += 1;
  return count;
}

function newRoom(state: ClientState, info: Room): RoomState {
  return {
    kind: "room",
    key: roomKey(info.name),
    name: info.name,
    info,
    members: {},
    myRole: null,
    messages: [],
    lastSeq: 0,
    readSeq: 0,
    unread: 0,
    muted: isMutedKey(state, roomKey(info.name)),
    hasOlder: false,
  };
}

function newDm(state: ClientState, user: string): DmState {
  return {
    kind: "dm",
    key: dmKey(user),
    name: user,
    messages: [],
    lastSeq: 0,
    readSeq: 0,
    unread: 0,
    muted: isMutedKey(state, dmKey(user)),
    hasOlder: false,
  };
}

/** A room we know only by name (a message or event came before its details). */
function stubRoomInfo(name: string): Room {
  return { name, members: 0, locked: false, joined: true };
}

function emptyConversation(state: ClientState, key: ConversationKey): ConversationState | undefined {
  const parsed = parseKey(key);
  if (!parsed) return undefined;
  return parsed.kind === "room" ? newRoom(state, stubRoomInfo(parsed.name)) : newDm(state, parsed.name);
}

function membersRecord(members: readonly Member[]): Record<string, Member> {
  return Object.fromEntries(members.map((m) => [m.username, m]));
}

function withMembers(state: ClientState, room: RoomState, members: Record<string, Member>): RoomState {
  const mine = state.me ? members[state.me.username] : undefined;
  return {
    ...room,
    members,
    myRole: mine?.role ?? null,
    info: { ...room.info, members: Object.keys(members).length },
  };
}

// ---------------------------------------------------------------- session-level setters

export function setHub(state: ClientState, hub: HubInfo | null): ClientState {
  return { ...state, hub };
}

export function setMe(state: ClientState, me: User | null): ClientState {
  const users = me ? { ...state.users, [me.username]: me } : state.users;
  return withOnline({ ...state, me, users });
}

export function setFocus(state: ClientState, focus: ConversationKey | null): ClientState {
  return { ...state, focus };
}

/** Everything about the previous account goes; the hub info stays. */
export function loggedOut(state: ClientState): ClientState {
  return { ...initialState(), hub: state.hub };
}

export function applySettings(state: ClientState, settings: Settings): ClientState {
  const next: ClientState = {
    ...state,
    muted: { rooms: [...settings.muted.rooms], users: [...settings.muted.users] },
    blocked: [...settings.blocked],
  };
  const rooms = Object.fromEntries(
    Object.entries(next.rooms).map(([name, r]) => [name, { ...r, muted: isMutedKey(next, r.key) }]),
  );
  const dms = Object.fromEntries(
    Object.entries(next.dms).map(([name, d]) => [name, { ...d, muted: isMutedKey(next, d.key) }]),
  );
  return { ...next, rooms, dms };
}

/**
 * Takes in the hub's whole `users.online` list: those in it are online, every other profile seen is
 * not (presence events for people we share nothing with never come, so this is how they converge).
 */
export function setOnline(state: ClientState, users: readonly User[]): ClientState {
  const known: Record<string, User> = {};
  for (const [name, u] of Object.entries(state.users)) known[name] = u.online ? { ...u, online: false } : u;
  for (const u of users) known[u.username] = u;
  return withOnline({ ...state, users: known });
}

/**
 * `online` is derived, never patched: the people online among those the hub keeps us posted about —
 * members of our rooms (by their member records) and the other side of our DMs (by their profiles) —
 * and ourselves. Whatever we missed (a rename or a logout while we shared nothing), a name leaves the
 * list as soon as no room or DM holds it, so it cannot linger.
 */
function withOnline(state: ClientState): ClientState {
  const names = new Set<string>();
  if (state.me) names.add(state.me.username);
  for (const room of Object.values(state.rooms)) {
    for (const m of Object.values(room.members)) if (m.online) names.add(m.username);
  }
  for (const user of Object.keys(state.dms)) if (state.users[user]?.online) names.add(user);
  const online = [...names].sort();
  const same = online.length === state.online.length && online.every((n, i) => n === state.online[i]);
  return same ? state : { ...state, online };
}

// ---------------------------------------------------------------- rooms and DMs

export interface RoomSnapshot {
  info: Room;
  members: readonly Member[];
  /** The room's last seq when known (from `room.join`). */
  lastSeq?: number;
}

/**
 * Adds or refreshes a room the user is in. An existing room keeps its messages and cursor, so a
 * refresh after a reconnect loses nothing delivered; a new one starts empty at the room's last seq
 * (give its latest page to `absorbPage`).
 */
export function upsertRoom(state: ClientState, snapshot: RoomSnapshot): ClientState {
  const existing = state.rooms[snapshot.info.name];
  let room: RoomState;
  // A stub (made by an event before the room's details came) has seen nothing and starts afresh.
  if (existing && (existing.lastSeq > 0 || existing.messages.length > 0)) {
    room = { ...existing, info: { ...existing.info, ...snapshot.info } };
  } else {
    const known = snapshot.lastSeq ?? snapshot.info.lastSeq;
    const last = known ?? 0;
    // The hub's read marker (rooms.list detail) makes unread counts right from the first login.
    const readSeq = Math.min(last, snapshot.info.readSeq ?? last);
    room = {
      ...newRoom(state, snapshot.info),
      lastSeq: last,
      readSeq,
      unread: last - readSeq,
      hasOlder: last > 0,
      startKnown: known !== undefined,
    };
  }
  return withOnline(putConversation(state, withMembers(state, room, membersRecord(snapshot.members))));
}

export function removeRoom(state: ClientState, name: string): ClientState {
  if (!state.rooms[name]) return state;
  const focus = state.focus === roomKey(name) ? null : state.focus;
  return withOnline({ ...state, rooms: without(state.rooms, name), focus });
}

/** Rooms not in `names` are dropped (left, kicked or deleted while we were away). */
export function retainRooms(state: ClientState, names: readonly string[]): ClientState {
  let next = state;
  for (const name of Object.keys(state.rooms)) if (!names.includes(name)) next = removeRoom(next, name);
  return next;
}

/** Adds DM conversations from `dm.list`; existing ones keep their messages, new ones start empty at lastSeq. */
export function upsertConversations(state: ClientState, conversations: readonly Conversation[]): ClientState {
  let next = state;
  for (const c of conversations) {
    const existing = next.dms[c.user];
    if (existing && (existing.lastSeq > 0 || existing.messages.length > 0)) continue;
    const dm: DmState = {
      ...newDm(next, c.user),
      lastSeq: c.lastSeq,
      readSeq: Math.max(0, c.lastSeq - c.unread),
      unread: c.unread,
      hasOlder: c.lastSeq > 0,
      startKnown: true,
    };
    next = putConversation(next, dm);
  }
  return withOnline(next);
}

/** Opens an empty DM conversation if there is none. */
export function ensureDm(state: ClientState, user: string): ClientState {
  if (state.dms[user]) return state;
  return withOnline(putConversation(state, newDm(state, user)));
}

// ---------------------------------------------------------------- messages

/** An edit, deletion or reaction: sequenced in its conversation like a message. */
export type MessageChange = Extract<AnyEvent, { ev: "message.edited" | "message.deleted" | "reaction" }>;
/** What takes a seq in a conversation: a message, or a change to one. */
export type Sequenced = Message | MessageChange;

export function isChange(item: Sequenced | AnyEvent): item is MessageChange {
  const ev = (item as { ev?: string }).ev;
  return ev === "message.edited" || ev === "message.deleted" || ev === "reaction";
}

/** The conversation a change belongs to: its room, or for a DM `conv` ("dm:USER"). */
export function conversationOfChange(change: MessageChange): ConversationKey | null {
  if (change.room !== undefined) return roomKey(change.room);
  if (change.conv !== undefined && change.conv.startsWith("dm:")) return dmKey(change.conv.slice(3));
  return null;
}

/** A message with one change applied (messages outside the window are not held, so not changed). */
export function applyChange(m: Message, change: MessageChange, me: string | undefined): Message {
  switch (change.ev) {
    case "message.edited":
      return { ...m, body: change.body, editedAt: change.editedAt };
    case "message.deleted": {
      const { reactions: _r, file: _f, ...rest } = m;
      return { ...rest, body: "", deleted: true, deletedBy: change.by };
    }
    case "reaction": {
      const reactions = { ...(m.reactions ?? {}) };
      const now = reactions[change.emoji] ?? { count: 0, me: false };
      const mine = change.user === me;
      const count = Math.max(0, now.count + (change.on ? 1 : -1));
      if (count === 0) delete reactions[change.emoji];
      else reactions[change.emoji] = { count, me: mine ? change.on : now.me };
      const next: Message = { ...m, reactions };
      if (Object.keys(reactions).length === 0) delete next.reactions;
      return next;
    }
  }
}

/** How a reply quotes `original` (the hub's rule: author and first line, cut to QUOTE_CHARS). */
export function quoteOf(original: Message): Quote {
  if (original.deleted) return { from: original.from, text: "", deleted: true };
  const line = original.body.split("\n", 1)[0]!.trim();
  const chars = [...line];
  return {
    from: original.from,
    text: chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS - 1).join("")}…` : line,
  };
}

/** Replies in the window quote a deleted original as deleted. */
function quoteDeleted(m: Message, id: string): Message {
  return m.replyTo === id && m.quote ? { ...m, quote: { from: m.quote.from, text: "", deleted: true } } : m;
}

export interface DeliverResult {
  state: ClientState;
  /** Newly delivered, in seq order. */
  delivered: MessageNotice[];
  /** Items ahead of a gap, kept back until the gap is filled; give them again with the fill. */
  held: Sequenced[];
  /** Set when there is a gap: fetch history after this seq. */
  gapAfter?: number;
}

/**
 * Delivers messages to one conversation: sorts by seq, drops what was seen (seq ≤ lastSeq, or a
 * repeated seq), appends what follows contiguously, and holds back what is beyond a gap. A
 * conversation that has never seen a message accepts any first seq (history before it is "older").
 */
export function deliver(
  state: ClientState,
  key: ConversationKey,
  messages: readonly Sequenced[],
  maxMessages: number,
): DeliverResult {
  let conv = getConversation(state, key) ?? emptyConversation(state, key);
  if (!conv) return { state, delivered: [], held: [] };
  const sorted = [...messages].sort((a, b) => a.seq - b.seq);
  const appendedItems: Sequenced[] = [];
  const held: Sequenced[] = [];
  let lastSeq = conv.lastSeq;
  // Without a known start, the first message that arrives is taken as the start (a gap before it is
  // paged in by history); with one, an early seq 2 waits for seq 1.
  let fresh = !conv.startKnown && conv.lastSeq === 0 && conv.messages.length === 0;
  for (const m of sorted) {
    if (fresh) {
      lastSeq = m.seq - 1;
      fresh = false;
    }
    if (m.seq <= lastSeq) continue;
    if (m.seq === lastSeq + 1) {
      appendedItems.push(m);
      lastSeq = m.seq;
    } else if (!held.some((h) => h.seq === m.seq)) {
      held.push(m);
    }
  }
  const appended = appendedItems.filter((m): m is Message => !isChange(m));
  if (appendedItems.length === 0 && conv.lastSeq === lastSeq) {
    const result: DeliverResult = { state, delivered: [], held };
    if (held.length > 0) result.gapAfter = lastSeq;
    return result;
  }
  const focused = state.focus === key;
  let readSeq = conv.readSeq;
  let unread = conv.unread;
  for (const m of appended) {
    if (focused || isOwn(state, m)) {
      // Writing in a conversation (or looking at it) means having read it up to there.
      readSeq = Math.max(readSeq, m.seq);
      unread = 0;
    } else if (m.seq > readSeq) {
      unread += 1;
    }
  }
  // Messages join the window; changes change the messages they name, in seq order.
  let all = [...conv.messages];
  const me = state.me?.username;
  for (const item of appendedItems) {
    if (!isChange(item)) {
      all.push(item);
      continue;
    }
    all = all.map((m) => (m.id === item.id ? applyChange(m, item, me) : m));
    if (item.ev === "message.deleted") all = all.map((m) => quoteDeleted(m, item.id));
  }
  let hasOlder = conv.messages.length === 0 ? (appended[0]?.seq ?? 1) > 1 || conv.hasOlder : conv.hasOlder;
  if (all.length > maxMessages) {
    all = all.slice(all.length - maxMessages);
    hasOlder = true;
  }
  conv = { ...conv, messages: all, lastSeq, readSeq, unread, hasOlder };
  const next = putConversation(state, conv);
  const convMuted = conv.muted;
  const delivered = appended.map<MessageNotice>((m) => ({
    key,
    message: m,
    own: isOwn(state, m),
    muted: m.muted === true || convMuted || state.muted.users.includes(m.from),
    mention: me !== undefined && !isOwn(state, m) && mentions(m.body, me),
    focused,
  }));
  const result: DeliverResult = { state: next, delivered, held };
  if (held.length > 0) result.gapAfter = lastSeq;
  return result;
}

/**
 * Takes in a history page (latest page on join/open, or a gap fill): what is at or before the cursor
 * extends the window backwards, what is after it is delivered like live messages.
 */
export function absorbPage(
  state: ClientState,
  key: ConversationKey,
  page: readonly Message[],
  maxMessages: number,
): DeliverResult {
  const conv = getConversation(state, key);
  const cursor = conv?.lastSeq ?? 0;
  const fresh = !conv || (conv.lastSeq === 0 && conv.messages.length === 0);
  if (fresh) return deliver(state, key, page, maxMessages);
  const older = page.filter((m) => m.seq <= cursor);
  const newer = page.filter((m) => m.seq > cursor);
  const withOlder = older.length > 0 ? prependOlder(state, key, older).state : state;
  return deliver(withOlder, key, newer, maxMessages);
}

/**
 * The hub has nothing up to `seq` (e.g. older than its replay): move the cursor so held messages flow.
 * With `lost`, the skipped seqs are recorded as messages the hub no longer has (`missing`).
 */
export function skipTo(state: ClientState, key: ConversationKey, seq: number, lost = false): ClientState {
  const conv = getConversation(state, key);
  if (!conv || seq <= conv.lastSeq) return state;
  const missing = lost ? { ...conv.missing, [seq + 1]: seq - conv.lastSeq } : conv.missing;
  return putConversation(state, { ...conv, lastSeq: seq, hasOlder: true, ...(missing && { missing }) });
}

/** Prepends an older page (from `loadOlder`); ignores what overlaps. */
export function prependOlder(
  state: ClientState,
  key: ConversationKey,
  page: readonly Message[],
): { state: ClientState; added: number } {
  const conv = getConversation(state, key);
  if (!conv) return { state, added: 0 };
  const first = conv.messages[0]?.seq ?? conv.lastSeq + 1;
  // Only the run that ends right before the window may join it: the window never has holes.
  const bySeq = new Map(page.map((m) => [m.seq, m]));
  const unique: Message[] = [];
  for (let seq = first - 1; seq >= 1 && bySeq.has(seq); seq -= 1) unique.unshift(bySeq.get(seq)!);
  const messages = [...unique, ...conv.messages];
  // Seqs start at 1, so anything before a first seq above 1 is still on the hub.
  const hasOlder = (messages[0]?.seq ?? conv.lastSeq + 1) > 1;
  return { state: putConversation(state, { ...conv, messages, hasOlder }), added: unique.length };
}

/** Moves the read marker forward (never back) and recounts unread. */
export function markRead(state: ClientState, key: ConversationKey, seq: number): ClientState {
  const conv = getConversation(state, key);
  if (!conv || seq <= conv.readSeq) return state;
  const unread = seq >= conv.lastSeq ? 0 : countUnread(state, conv.messages, seq);
  return putConversation(state, { ...conv, readSeq: seq, unread });
}

/** Cursors for `resume`: "room:NAME" / "dm:USER" → last seq delivered. */
export function cursorsOf(state: ClientState): Record<string, number> {
  const cursors: Record<string, number> = {};
  // A conversation that has seen nothing sends no cursor: the hub then replays from the read
  // marker, rather than the whole history from seq 1 as unread news.
  for (const c of [...Object.values(state.rooms), ...Object.values(state.dms)]) {
    if (c.lastSeq > 0 || c.messages.length > 0) cursors[c.key] = c.lastSeq;
  }
  return cursors;
}

// ---------------------------------------------------------------- outbox

export function outboxAdd(state: ClientState, entry: OutboxEntry): ClientState {
  return { ...state, outbox: [...state.outbox, entry] };
}

export function outboxRemove(state: ClientState, cid: string): ClientState {
  if (!state.outbox.some((e) => e.cid === cid)) return state;
  return { ...state, outbox: state.outbox.filter((e) => e.cid !== cid) };
}

export function outboxAttempt(state: ClientState, cid: string): ClientState {
  return {
    ...state,
    outbox: state.outbox.map((e) => (e.cid === cid ? { ...e, attempts: e.attempts + 1 } : e)),
  };
}

// ---------------------------------------------------------------- renames

function renameIn(list: readonly string[], from: string, to: string): string[] {
  return list.map((n) => (n === from ? to : n));
}

function renameKey(key: ConversationKey, from: string, to: string): ConversationKey {
  return key === dmKey(from) ? dmKey(to) : key;
}

function renameMessage(m: Message, from: string, to: string): Message {
  if (m.from !== from && m.user !== from) return m;
  return { ...m, ...(m.from === from ? { from: to } : {}), ...(m.user === from ? { user: to } : {}) };
}

/** A user changed username: it changes everywhere — profiles, members, DMs, messages, mutes, outbox. */
export function renameUser(state: ClientState, from: string, to: string): ClientState {
  const users = { ...state.users };
  const profile = users[from];
  delete users[from];
  if (profile) users[to] = { ...profile, username: to };
  const me = state.me && state.me.username === from ? { ...state.me, username: to } : state.me;
  const rooms = Object.fromEntries(
    Object.entries(state.rooms).map(([name, r]) => {
      const members: Record<string, Member> = {};
      for (const [u, m] of Object.entries(r.members)) {
        members[u === from ? to : u] = u === from ? { ...m, username: to } : m;
      }
      const info = r.info.owner === from ? { ...r.info, owner: to } : r.info;
      return [name, { ...r, info, members, messages: r.messages.map((m) => renameMessage(m, from, to)) }];
    }),
  );
  const dms: Record<string, DmState> = {};
  for (const [user, d] of Object.entries(state.dms)) {
    const name = user === from ? to : user;
    dms[name] = {
      ...d,
      name,
      key: dmKey(name),
      messages: d.messages.map((m) => renameMessage(m, from, to)),
    };
  }
  return withOnline({
    ...state,
    me,
    users,
    rooms,
    dms,
    muted: { rooms: state.muted.rooms, users: renameIn(state.muted.users, from, to) },
    blocked: renameIn(state.blocked, from, to),
    outbox: state.outbox.map((e) => ({ ...e, key: renameKey(e.key, from, to) })),
    focus: state.focus ? renameKey(state.focus, from, to) : null,
  });
}

// ---------------------------------------------------------------- presence

function setPresence(state: ClientState, username: string, online: boolean, now: number): ClientState {
  const users = { ...state.users };
  // Someone not seen before (a DM partner who was offline at login) gets a profile to hold it.
  const updated: User = { ...(users[username] ?? { username, displayName: username }), online };
  if (online) delete updated.lastSeen;
  else updated.lastSeen = now;
  users[username] = updated;
  const rooms = Object.fromEntries(
    Object.entries(state.rooms).map(([name, r]) => {
      const m = r.members[username];
      return [name, m ? { ...r, members: { ...r.members, [username]: { ...m, online } } } : r];
    }),
  );
  return withOnline({ ...state, users, rooms });
}

// ---------------------------------------------------------------- hub events

/**
 * Applies a hub event other than `message` (messages go through `deliver`, which needs gap handling).
 * Events about rooms we do not hold create a stub the client then fills with `room.members`.
 */
export function applyEvent(state: ClientState, event: AnyEvent, now: number): ClientState {
  const me = state.me?.username;
  switch (event.ev) {
    case "message":
      return state;
    case "message.edited":
    case "message.deleted":
    case "reaction":
      return state;
    case "tagmsg":
      // Client tags sent alone (typing notices, IRC reactions): nothing this client shows yet.
      return state;
    case "presence":
      return setPresence(state, event.username, event.online, now);
    case "user.updated": {
      const next = { ...state, users: { ...state.users, [event.user.username]: event.user } };
      return me === event.user.username ? { ...next, me: event.user } : next;
    }
    case "user.renamed":
      return renameUser(state, event.from, event.to);
    case "member.joined": {
      // Only our own join may introduce a room; others joining a room we do not hold is stale news.
      if (!state.rooms[event.room] && event.username !== me) return state;
      const room = state.rooms[event.room] ?? newRoom(state, stubRoomInfo(event.room));
      const member: Member = {
        username: event.username,
        role: event.role,
        joinedAt: now,
        online: true,
      };
      const next = putConversation(
        state,
        withMembers(state, room, { ...room.members, [event.username]: member }),
      );
      // Joining is something only an online user does.
      return withOnline(next);
    }
    case "member.left": {
      if (event.username === me) return removeRoom(state, event.room);
      const room = state.rooms[event.room];
      if (!room) return state;
      return withOnline(
        putConversation(state, withMembers(state, room, without(room.members, event.username))),
      );
    }
    case "role.changed": {
      const room = state.rooms[event.room];
      const member = room?.members[event.username];
      if (!room || !member) return state;
      const members = { ...room.members, [event.username]: { ...member, role: event.role } };
      const info = event.role === "owner" ? { ...room.info, owner: event.username } : room.info;
      return putConversation(state, withMembers(state, { ...room, info }, members));
    }
    case "voice.changed": {
      const room = state.rooms[event.room];
      const member = room?.members[event.username];
      if (!room || !member) return state;
      const members = { ...room.members, [event.username]: { ...member, voiced: event.voiced } };
      return putConversation(state, withMembers(state, room, members));
    }
    case "room.updated": {
      const room = state.rooms[event.room.name];
      if (!room) return state;
      return putConversation(state, { ...room, info: { ...room.info, ...event.room } });
    }
    case "room.deleted":
    case "kicked":
    case "banned":
      return removeRoom(state, event.room);
    case "invited":
      return state;
    case "settings.changed":
      return applySettings(state, event);
    case "read.changed": {
      const key =
        event.room !== undefined ? roomKey(event.room) : event.user !== undefined ? dmKey(event.user) : null;
      return key ? markRead(state, key, event.seq) : state;
    }
    case "p2p.request":
    case "p2p.answered":
    case "p2p.cancelled":
    case "devices.changed":
    case "session.ended":
      return state;
  }
}
