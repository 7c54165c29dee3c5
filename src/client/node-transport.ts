/**
 * The Node transport: `ws` over a TLS socket whose certificate was checked against the pinned
 * fingerprint before anything was written (trust on first use, see known-hubs.ts), or plain ws:// for
 * an --insecure hub.
 */
import type { createConnection, Socket } from "node:net";
import WebSocket from "ws";
import { SUBPROTOCOL } from "../protocol/index.js";
import type { HubAddress } from "./core/address.js";
import { HubUnreachableError } from "./core/errors.js";
import type { HubSocket, OpenedSocket, SocketListener, Transport } from "./core/transport.js";
import { checkPin, connectTls, type KnownHubs } from "./known-hubs.js";

/** The largest frame accepted from a hub. */
const INCOMING_FRAME_MAX = 16 * 1024 * 1024;

export interface NodeTransportOptions {
  /** Where pins live; required for wss://. */
  knownHubs?: KnownHubs;
  /** A fingerprint the caller insists on. */
  fingerprint?: string;
}

export function nodeTransport(options: NodeTransportOptions): Transport {
  return {
    async open(address, timeoutMs, listener): Promise<OpenedSocket> {
      const deadline = Date.now() + timeoutMs;
      let tlsSocket: Socket | undefined;
      let fingerprint: string | undefined;
      if (address.secure) {
        if (!options.knownHubs) throw new TypeError("a wss:// connection needs the known-hubs store");
        const tls = await connectTls(address, timeoutMs);
        try {
          checkPin(options.knownHubs, address, tls.fingerprint, options.fingerprint);
        } catch (error) {
          tls.socket.destroy();
          throw error;
        }
        tlsSocket = tls.socket;
        fingerprint = tls.fingerprint;
      }
      const ws = await upgrade(address, tlsSocket, Math.max(1, deadline - Date.now()));
      return { socket: wrap(ws, listener), ...(fingerprint !== undefined ? { fingerprint } : {}) };
    },
  };
}

function wrap(ws: WebSocket, listener: SocketListener): HubSocket {
  ws.on("message", (data, isBinary) => {
    if (isBinary) {
      const frame = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data;
      listener.onBinary(frame);
    } else {
      listener.onText(data.toString());
    }
  });
  ws.on("ping", () => listener.onHeard());
  ws.on("pong", () => listener.onHeard());
  ws.on("close", (code, reason) => listener.onClose(code, reason.toString()));
  // After open, errors are followed by "close"; the listener keeps them from being thrown.
  ws.on("error", () => {});
  return {
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
    sendText(text, onError) {
      ws.send(text, (error) => {
        if (error) onError(error);
      });
    },
    sendBinary(frame) {
      ws.send(frame, { binary: true }, () => {});
    },
    ping() {
      ws.ping();
    },
    close(code, reason) {
      ws.close(code, reason);
      // A hub that never answers the close frame must not keep us waiting.
      setTimeout(() => ws.terminate(), 2000).unref();
    },
    terminate() {
      ws.terminate();
    },
  };
}

/** The HTTP upgrade on an already-verified TLS socket (or a plain one for ws://). */
function upgrade(address: HubAddress, tlsSocket: Socket | undefined, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(address.url, SUBPROTOCOL, {
      handshakeTimeout: timeoutMs,
      // Replies carry history pages (200 messages of up to 4000 characters), far above the request cap.
      maxPayload: INCOMING_FRAME_MAX,
      perMessageDeflate: false,
      // Hand ws the socket whose certificate was checked, so the upgrade request goes nowhere else.
      ...(tlsSocket ? { createConnection: (() => tlsSocket) as unknown as typeof createConnection } : {}),
    });
    const fail = (error: Error): void => {
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      tlsSocket?.destroy();
      reject(new HubUnreachableError(address.url, error));
    };
    ws.once("error", fail);
    ws.once("unexpected-response", (_req, res) =>
      fail(new Error(`the hub answered HTTP ${res.statusCode} to the upgrade`)),
    );
    ws.once("open", () => {
      ws.off("error", fail);
      if (ws.protocol !== SUBPROTOCOL) {
        fail(new Error(`the hub did not accept subprotocol ${SUBPROTOCOL}`));
        return;
      }
      resolve(ws);
    });
  });
}
