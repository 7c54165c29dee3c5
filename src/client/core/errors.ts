/** The SDK's typed errors: one class per way a call can fail, so a UI can switch on `instanceof`/`code`. */
import type { ErrorCode, WireError } from "../../protocol/index.js";

/** The hub answered with an error reply. */
export class HubError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;
  readonly field?: string;
  readonly correlationId?: string;

  constructor(wire: WireError) {
    super(wire.message);
    this.name = "HubError";
    this.code = wire.code;
    if (wire.retryAfterMs !== undefined) this.retryAfterMs = wire.retryAfterMs;
    if (wire.field !== undefined) this.field = wire.field;
    if (wire.correlationId !== undefined) this.correlationId = wire.correlationId;
  }
}

/** No reply within the request timeout. The request may or may not have taken effect. */
export class RequestTimeoutError extends Error {
  constructor(
    readonly op: string,
    readonly timeoutMs: number,
  ) {
    super(`the hub did not answer ${op} within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/** The request could not be sent, or its connection closed before the reply. */
export class NotConnectedError extends Error {
  constructor(message = "not connected to the hub") {
    super(message);
    this.name = "NotConnectedError";
  }
}

/** A hub could not be reached (DNS, refused, TLS failure, wrong subprotocol …). */
export class HubUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause?: Error,
  ) {
    super(`cannot reach ${url}${cause ? `: ${cause.message}` : ""}`, cause ? { cause } : undefined);
    this.name = "HubUnreachableError";
  }
}

/**
 * The hub's certificate is not the one pinned for this host:port. Either the hub was reinstalled (its
 * certificate regenerated) or someone is in the middle. Nothing was sent to it.
 */
export class HubFingerprintChangedError extends Error {
  constructor(
    readonly hostPort: string,
    readonly expected: string,
    readonly actual: string,
    readonly trustCommand: string,
  ) {
    super(
      [
        `WARNING: the TLS certificate of the hub at ${hostPort} has changed.`,
        `  pinned:    ${expected}`,
        `  presented: ${actual}`,
        "Someone may be intercepting the connection, or the hub got a new certificate.",
        "Check the fingerprint the hub prints at start; if it is the new one, accept it with:",
        `  ${trustCommand}`,
      ].join("\n"),
    );
    this.name = "HubFingerprintChangedError";
  }
}

/** The certificate does not match the fingerprint the caller required explicitly. */
export class HubFingerprintMismatchError extends Error {
  constructor(
    readonly hostPort: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the hub at ${hostPort} presented fingerprint ${actual}, expected ${expected}`);
    this.name = "HubFingerprintMismatchError";
  }
}

/** The known-hubs file exists but cannot be read as one. */
export class KnownHubsFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`known-hubs file ${path}: ${message}`);
    this.name = "KnownHubsFileError";
  }
}

/** The client was closed; the operation will not complete. */
export class ClientClosedError extends Error {
  constructor() {
    super("the client was closed");
    this.name = "ClientClosedError";
  }
}

/** A request would exceed the hub's frame limit; it was not sent (the hub would close the connection). */
export class FrameTooLargeError extends Error {
  constructor(
    readonly op: string,
    readonly limitBytes: number,
  ) {
    super(`${op} is larger than the hub's frame limit of ${limitBytes} bytes`);
    this.name = "FrameTooLargeError";
  }
}
