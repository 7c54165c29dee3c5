/**
 * The Parley client SDK — the only thing a UI (src/tui, scripts, bots) needs to talk to a hub.
 *
 *   const client = new ParleyClient({ urls: "wss://127.0.0.1:7447" });
 *   client.on("status", (s) => …);            // connecting / online / reconnecting in Ns / offline
 *   client.on("change", (state) => …);        // re-render from the immutable snapshot
 *   client.on("message", (n) => …);           // new message: notify unless n.own or n.muted
 *   client.on("event", (ev) => …);            // system notices (member.joined, kicked, presence …)
 *   await client.connect();                   // HubFingerprintChangedError if the pinned cert changed
 *   await client.login("alice", "correct horse");
 *   await client.joinRoom("general");
 *   await client.send("room:general", "hi");  // queued in state.outbox until acknowledged
 *
 * Reconnection, resume, replay of missed messages and outbox re-send happen on their own:
 * - any drop (hub restart, network cut, a link silent for 2 × 15 s) → status `reconnecting` with the
 *   time of the next try (exponential backoff, full jitter), the URLs tried in turn from the last good one;
 * - on reconnect the session is resumed with the cursors ("room:NAME"/"dm:USER" → last seq), the hub
 *   replays what was missed, gaps are filled with history `after`, and every message reaches `message`
 *   listeners once, in seq order per conversation;
 * - `send` queues in `state.outbox`; entries go out one at a time, oldest first, and are re-sent with
 *   their original cid until acknowledged (the hub stores a cid once).
 * A changed certificate is never retried: status `offline` with a HubFingerprintChangedError whose
 * message shows both fingerprints and the `parley trust wss://host:port` command (`trustHub`).
 * The session token (`client.session`) may be stored to `resume` later; `sessionLost` says when it ended.
 */
export type { ParleyClientOptions } from "./node-client.js";
export { ParleyClient } from "./node-client.js";
export * from "./core/index.js";
export { configDir, knownHubsPath, trustHub, trustCommand } from "./known-hubs.js";
export {
  downloadFile,
  downloadFolder,
  safeFileName,
  TransferCancelledError,
  uploadFile,
  type TransferOptions,
} from "./files.js";
export {
  PeerChats,
  P2pDeclinedError,
  P2pKeyChangedError,
  P2pTimeoutError,
  P2pWithdrawnError,
  type IncomingRequest,
  type RequestGone,
  type KeyWarning,
  type PeerChatsEvents,
  type PeerChatsOptions,
  type PeerDevice,
  type Verification,
} from "./p2p.js";
export type { OwnDevice, DeviceStanding } from "./p2p-devices.js";
export {
  E2eRooms,
  type DirectCopy,
  type E2eNotice,
  type E2eNoticeKind,
  type E2eView,
  type MemberDevice,
} from "./e2e-rooms.js";
export { E2eOpenError } from "./e2e-crypto.js";
export {
  DirectChat,
  type DirectChatEvents,
  type DirectMessage,
  type DirectPath,
  type DirectReceipt,
} from "./p2p-chat.js";
