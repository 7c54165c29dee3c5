/**
 * The mutually authenticated channel: TLS 1.3 with self-signed certificates made from the identity
 * keys. Certificate chains mean nothing here (`rejectUnauthorized: false`); what authenticates a peer
 * is that its certificate's public key (SPKI bytes) equals the key the hub published for that user —
 * TLS itself proves the peer holds the matching private key (CertificateVerify). Runs over any Duplex:
 * a TCP socket for direct sessions, a relay stream through the hub otherwise.
 *
 * After TLS, each side sends `hello` only once it has checked the other's key, and waits for the
 * other's `hello`; so neither side starts a session the other has refused (in TLS 1.3 the client
 * finishes before the server has seen the client certificate).
 */
import type { Duplex } from "node:stream";
import { connect, createSecureContext, TLSSocket } from "node:tls";
import { asError, PeerError, PeerKeyMismatchError } from "./errors.js";
import { keyFingerprint } from "./fingerprint.js";
import { encodeFrame, FrameDecoder, PEER_PROTOCOL_VERSION, type PeerFrame } from "./frames.js";
import type { Identity } from "./identity.js";

export const HANDSHAKE_TIMEOUT_MS = 5_000;

/** An authenticated TLS session ready for frames. */
export interface SecureChannel {
  socket: TLSSocket;
  /** The peer's key (base64 SPKI DER), as verified. */
  peerKey: string;
  /** Holds bytes that arrived after `hello`; the session keeps using it. */
  decoder: FrameDecoder;
  /** Frames that arrived in the same read as `hello`. */
  pending: PeerFrame[];
}

interface CommonOptions {
  identity: Identity;
  /** For error messages: "127.0.0.1:4567", "relay channel 3". */
  where: string;
  timeoutMs?: number;
}

export interface ClientHandshakeOptions extends CommonOptions {
  /** The key the hub published for the user we mean to reach. */
  expectedKey: string;
}

export interface ServerHandshakeOptions extends CommonOptions {
  /** Whether a connecting peer's key belongs to someone we agreed to talk to. */
  accepts(key: string): boolean;
}

function peerKeyOf(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerX509Certificate();
  return cert?.publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

/** Runs the post-TLS part common to both roles: verify, say hello, wait for the peer's hello. */
function finish(
  socket: TLSSocket,
  isServer: boolean,
  options: CommonOptions,
  verify: (key: string | undefined) => PeerError | undefined,
): Promise<SecureChannel> {
  const timeoutMs = options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  return new Promise<SecureChannel>((resolve, reject) => {
    const decoder = new FrameDecoder();
    let peerKey: string | undefined;
    let settled = false;
    const timer = setTimeout(
      () =>
        fail(
          new PeerError(
            "HANDSHAKE_FAILED",
            `handshake with ${options.where} timed out after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );

    function cleanup(): void {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
    }
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      reject(err);
    }
    function onError(err: unknown): void {
      const e = asError(err);
      fail(
        e instanceof PeerError
          ? e
          : new PeerError("HANDSHAKE_FAILED", `TLS handshake with ${options.where} failed: ${e.message}`, {
              cause: e,
            }),
      );
    }
    function onClose(): void {
      fail(
        new PeerError(
          "HANDSHAKE_FAILED",
          `${options.where} closed the connection during the handshake (it may not expect our identity key)`,
        ),
      );
    }
    function onSecure(): void {
      if (settled) return;
      const key = peerKeyOf(socket);
      const problem = verify(key);
      if (problem) {
        // Tell the other side why, so its user sees a reason instead of a bare disconnect.
        socket.end(encodeFrame({ t: "refused", reason: "identity key not expected" }));
        settled = true;
        cleanup();
        setTimeout(() => socket.destroy(), 1_000).unref();
        reject(problem);
        return;
      }
      peerKey = key;
      socket.write(encodeFrame({ t: "hello", v: PEER_PROTOCOL_VERSION }));
    }
    function onData(chunk: Buffer): void {
      let frames: PeerFrame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        fail(asError(err));
        return;
      }
      const [first, ...rest] = frames;
      if (!first) return;
      if (first.t === "refused") {
        fail(new PeerError("REFUSED", `${options.where} refused the connection: ${first.reason}`));
        return;
      }
      if (first.t !== "hello") {
        fail(new PeerError("BAD_PEER_FRAME", `${options.where} sent '${first.t}' before hello`));
        return;
      }
      if (peerKey === undefined) {
        // The peer's hello cannot precede our own verification: secure fires before any app data.
        fail(new PeerError("HANDSHAKE_FAILED", `${options.where} spoke before the TLS handshake completed`));
        return;
      }
      settled = true;
      cleanup();
      socket.pause();
      resolve({ socket, peerKey, decoder, pending: rest });
    }

    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.once(isServer ? "secure" : "secureConnect", onSecure);
  });
}

function tlsOptions(identity: Identity) {
  return {
    key: identity.privateKeyPem,
    cert: identity.certPem,
    minVersion: "TLSv1.3" as const,
    maxVersion: "TLSv1.3" as const,
  };
}

/** Dials over `transport` (or a new TCP connection) and authenticates the peer as `expectedKey`. */
export function clientHandshake(
  transport: Duplex | { host: string; port: number },
  options: ClientHandshakeOptions,
): Promise<SecureChannel> {
  const target =
    "host" in transport && typeof transport.host === "string" ? transport : { socket: transport as Duplex };
  const socket = connect({
    ...target,
    ...tlsOptions(options.identity),
    // We pin the key instead of validating a chain or a host name.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  return finish(socket, false, options, (key) => {
    if (key === undefined) return new PeerError("NO_PEER_CERT", `${options.where} presented no certificate`);
    if (key !== options.expectedKey) {
      return new PeerKeyMismatchError(
        keyFingerprint(options.expectedKey),
        keyFingerprint(key),
        options.where,
      );
    }
    return undefined;
  });
}

/** Accepts a TLS session over `transport` from a peer whose key `accepts` approves. */
export function serverHandshake(transport: Duplex, options: ServerHandshakeOptions): Promise<SecureChannel> {
  const socket = new TLSSocket(transport, {
    isServer: true,
    secureContext: createSecureContext(tlsOptions(options.identity)),
    // Mutual authentication: the client must present its identity certificate too.
    requestCert: true,
    rejectUnauthorized: false,
  });
  return finish(socket, true, options, (key) => {
    if (key === undefined)
      return new PeerError("NO_PEER_CERT", `${options.where} presented no client certificate`);
    if (!options.accepts(key)) {
      return new PeerKeyMismatchError("(a peer we agreed to talk to)", keyFingerprint(key), options.where);
    }
    return undefined;
  });
}
