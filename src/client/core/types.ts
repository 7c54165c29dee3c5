/**
 * The SDK's public shapes: what a UI reads (state snapshot, connection status) and what it hears
 * (client events). Wire shapes come from `src/protocol`; these are the client's own view of them.
 */
import type {
  AnyEvent,
  FileInfo,
  HubLimits,
  Member,
  Message,
  Quote,
  PasswordRule,
  Role,
  Room,
  SessionEndReason,
  User,
} from "../../protocol/index.js";
import type { HubError } from "./errors.js";
import type { E2eEnvelope } from "../../protocol/e2e.js";

/** "room:NAME" or "dm:USER" — the same strings the hub takes as `resume` cursors. */
export type ConversationKey = `room:${string}` | `dm:${string}`;

/**
 * Where the connection stands, for a status line.
 * - `connecting`: a socket is being opened (first time or after a drop).
 * - `online`: hello done (and, when logged in, the session resumed); requests flow.
 * - `reconnecting`: the link dropped; the next attempt starts at `retryAt` (ms since epoch).
 * - `offline`: not trying any more — closed by the app, logged out, session lost, or refused
 *   (e.g. a changed fingerprint, see `error`).
 */
export type ConnectionStatus =
  | { state: "connecting"; url: string; attempt: number }
  | { state: "online"; url: string; insecure: boolean }
  | { state: "reconnecting"; attempt: number; retryAt: number; inMs: number; lastError?: string }
  | { state: "offline"; reason: string; error?: Error };

/** What `hello` told us about the hub we are on. */
export interface HubInfo {
  url: string;
  server: string;
  protocol: number;
  limits: HubLimits;
  /** The hub's account password rule (check new passwords with `passwordProblem`); absent from older hubs. */
  passwordRule?: PasswordRule;
  /** SHA-256 of the hub certificate (AA:BB:…); undefined on an insecure ws:// hub. */
  fingerprint?: string;
  insecure: boolean;
}

/** One room or DM conversation as the client sees it. Immutable: every change makes a new object. */
export interface ConversationBase {
  key: ConversationKey;
  /** Room name, or the other user's username. */
  name: string;
  /** The loaded window of messages, oldest first, no duplicates, no gaps (seq strictly +1). */
  messages: readonly Message[];
  /** Highest seq delivered contiguously: the resume cursor. 0 when nothing seen yet. */
  lastSeq: number;
  /** Read marker (this user, all devices). */
  readSeq: number;
  /** Messages from others after `readSeq`. */
  unread: number;
  /** Notifications off (room muted, or for a DM the user muted). */
  muted: boolean;
  /** True when messages before the first loaded one may exist (use `loadOlder`). */
  hasOlder: boolean;
  /**
   * True when `lastSeq` came from the hub (room.join, rooms.list, dm.list), so the next message is
   * exactly lastSeq + 1. A conversation first seen through an event does not know where it starts.
   */
  startKnown?: boolean;
  /**
   * Messages the hub no longer had when a gap was filled: the seq of the message after the hole → how
   * many seqs it skipped. (A hole between two messages is otherwise no news: edits, deletions and
   * reactions take seqs too, and history lists messages only.)
   */
  missing?: Readonly<Record<number, number>>;
}

export interface RoomState extends ConversationBase {
  kind: "room";
  info: Room;
  /** Members by username. */
  members: Readonly<Record<string, Member>>;
  /** Your role here (null if state has not learnt it yet). */
  myRole: Role | null;
}

export interface DmState extends ConversationBase {
  kind: "dm";
}

export type ConversationState = RoomState | DmState;

/** A message waiting for the hub's acknowledgement; re-sent with the same `cid` after a reconnect. */
export interface OutboxEntry {
  cid: string;
  key: ConversationKey;
  body: string;
  /** An uploaded file the message carries (its `body` may then be empty). */
  file?: FileInfo;
  /** For an end-to-end encrypted room: the sealed envelope that goes on the wire (`body` stays local). */
  e2e?: E2eEnvelope;
  /** The message this one answers, with its quote as shown locally until the hub's copy comes. */
  replyTo?: { id: string; quote?: Quote };
  /** Sent as a notice (what bots and automated senders use). */
  notice?: true;
  /** Client-only tags (IRCv3 `+name`) stored with the message. */
  clientTags?: Record<string, string>;
  createdAt: number;
  /** How many times it was put on the wire. */
  attempts: number;
}

/** The whole local state; a UI renders from this. Never mutated in place. */
export interface ClientState {
  me: User | null;
  hub: HubInfo | null;
  /** Rooms you are a member of, by name. */
  rooms: Readonly<Record<string, RoomState>>;
  /** DM conversations, by the other user's username. */
  dms: Readonly<Record<string, DmState>>;
  /** Profiles seen (online list, members, updates), by username. */
  users: Readonly<Record<string, User>>;
  /**
   * Who is online among the people the hub keeps you posted about — members of your rooms and the
   * other side of your DMs — and you; sorted. (Everyone online on the hub: the `users.online` op.)
   */
  online: readonly string[];
  muted: { rooms: readonly string[]; users: readonly string[] };
  blocked: readonly string[];
  outbox: readonly OutboxEntry[];
  /** The conversation the UI shows; it is marked read as messages arrive. */
  focus: ConversationKey | null;
}

/** A message newly delivered to a conversation (live, replayed after resume, or a gap filled). */
export interface MessageNotice {
  key: ConversationKey;
  message: Message;
  /** Sent by this user (any device). */
  own: boolean;
  /** Room or sender muted: do not notify. */
  muted: boolean;
  /** The body mentions your username (word match, with or without @). */
  mention: boolean;
  /** The conversation is the focused one. */
  focused: boolean;
}

/** What a ParleyClient emits; each listener gets one argument. */
export interface ClientEventMap {
  /** Connection state changed. */
  status: ConnectionStatus;
  /** Local state changed (any reason); the argument is the new snapshot. */
  change: ClientState;
  /** A new message, in seq order per conversation, never twice. */
  message: MessageNotice;
  /** Every hub event, after it was applied to state (for system notices: joins, kicks, presence …). */
  event: AnyEvent;
  /** An outbox entry was acknowledged by the hub. */
  sent: { entry: OutboxEntry; message: Message };
  /**
   * The hub cannot store messages right now (UNAVAILABLE, e.g. its disk is full): the entry stays in the
   * outbox and is sent again in `retryInMs`. A UI says so ("will retry"); `sent` follows once stored.
   */
  sendDelayed: { entry: OutboxEntry; error: HubError; retryInMs: number };
  /** An outbox entry was refused for good (e.g. NOT_MEMBER, BODY_TOO_LONG); it left the outbox. */
  sendFailed: { entry: OutboxEntry; error: HubError };
  /** The session ended and will not be resumed: log in again. */
  sessionLost: { reason: "expired" | Exclude<SessionEndReason, "shutdown"> };
  /** A background step failed without stopping the client (gap fetch, refresh …). */
  warning: { message: string; error?: Error };
}

export type ClientEventName = keyof ClientEventMap;
