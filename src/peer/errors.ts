/**
 * Typed errors of the peer-to-peer layer. Every failure a caller may want to react to has its own
 * stable `code`, so the client can show a precise message ("alice's key changed") instead of text
 * matching.
 */
export type PeerErrorCode =
  | "KEY_MISMATCH"
  | "NO_PEER_CERT"
  | "REFUSED"
  | "HANDSHAKE_FAILED"
  | "UNREACHABLE"
  | "BAD_PEER_FRAME"
  | "KEEPALIVE_TIMEOUT"
  | "SESSION_CLOSED"
  | "OUTBOX_FULL"
  | "IDENTITY_FILE"
  | "RELAY_UNAVAILABLE";

export class PeerError extends Error {
  constructor(
    public readonly code: PeerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PeerError";
  }
}

/**
 * The other side proved possession of a key, but not the one the hub published for that user: either
 * a man in the middle or a peer whose key changed after the hub told us about it. Never retried.
 */
export class PeerKeyMismatchError extends PeerError {
  constructor(
    public readonly expectedFingerprint: string,
    public readonly actualFingerprint: string,
    public readonly where: string,
  ) {
    super(
      "KEY_MISMATCH",
      `peer at ${where} presented identity key ${actualFingerprint}, but the hub published ${expectedFingerprint}; ` +
        "refusing the connection (possible man in the middle)",
    );
    this.name = "PeerKeyMismatchError";
  }
}

/** Something that should be an Error but may not be (socket 'error' payloads, rejections). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
