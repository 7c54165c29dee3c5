/**
 * The seam between the SDK and the platform. Everything above it (request/reply, reconnect, resume,
 * outbox, ordering, unread counting) is one implementation shared by the terminal client and the
 * browser client; below it sits either Node's `ws` over a certificate-pinned TLS socket
 * (`../node-transport.ts`) or the browser's own WebSocket (`src/web/transport.ts`), where the browser
 * decides about certificates.
 */
import type { HubAddress } from "./address.js";

/** What a transport reports about an open socket. */
export interface SocketListener {
  /** A text frame (a JSON reply or event). */
  onText(text: string): void;
  /** A binary frame (peer relay). */
  onBinary(frame: Uint8Array): void;
  /** Any sign of life that is not a frame (a ping or pong, where the platform shows them). */
  onHeard(): void;
  /** The socket closed, however that happened; called once. */
  onClose(code: number, reason: string): void;
}

/** An open WebSocket speaking the parley.v1 subprotocol, before `hello`. */
export interface HubSocket {
  readonly isOpen: boolean;
  /** Sends a text frame; `onError` hears of a frame that could not be written. */
  sendText(text: string, onError: (error: Error) => void): void;
  sendBinary(frame: Uint8Array): void;
  /**
   * Asks the hub for a sign of life (a WebSocket ping). Absent where the platform cannot ping (browsers
   * answer the hub's pings themselves but never show them): the link is then judged by its close only.
   */
  ping?(): void;
  /** Polite close (close frame), falling back to `terminate` if the hub does not answer. */
  close(code: number, reason: string): void;
  /** Drops the link at once. */
  terminate(): void;
}

export interface OpenedSocket {
  socket: HubSocket;
  /** SHA-256 of the hub certificate, where the transport checked one. */
  fingerprint?: string;
}

/**
 * Opens sockets to a hub. Rejects with HubUnreachableError when the hub cannot be reached, or with a
 * fatal error (e.g. HubFingerprintChangedError) that retrying cannot fix.
 */
export interface Transport {
  open(address: HubAddress, timeoutMs: number, listener: SocketListener): Promise<OpenedSocket>;
}
