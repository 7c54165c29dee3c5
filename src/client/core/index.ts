/**
 * The browser-safe part of the SDK: one implementation of connection handling, reconnect + resume,
 * outbox, ordering and unread counting, used by the terminal client (through `src/client/index.ts`,
 * which adds Node's pinned-TLS transport) and by the browser client (with the browser's WebSocket).
 * Nothing under this folder may import a Node module (eslint and the web typecheck enforce it).
 */
export { ParleyClient } from "./client.js";
export type { CoreClientOptions } from "./options.js";
export { parseHubUrl, type HubAddress } from "./address.js";
export { shapeCheck, type Checked, type FrameCheck } from "./frame-check.js";
export type { HubSocket, OpenedSocket, SocketListener, Transport } from "./transport.js";
export { statusText } from "./reconnect.js";
export type {
  ClientEventMap,
  ClientEventName,
  ClientState,
  ConnectionStatus,
  ConversationBase,
  ConversationKey,
  ConversationState,
  DmState,
  HubInfo,
  MessageNotice,
  OutboxEntry,
  RoomState,
} from "./types.js";
export {
  ClientClosedError,
  HubError,
  HubFingerprintChangedError,
  HubFingerprintMismatchError,
  HubUnreachableError,
  KnownHubsFileError,
  NotConnectedError,
  RequestTimeoutError,
} from "./errors.js";
export { conversationOf, dmKey, mentions, parseKey, roomKey } from "./keys.js";
