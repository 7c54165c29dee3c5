/**
 * The bare reference: a WebSocket broadcast server with no auth, storage or validation, written for
 * speed — the practical ceiling for a Node server on `ws`. It is what Parley's fan-out is compared with.
 *
 *   node --import tsx bench/bare-server.ts [--port 0] [--mode batched|corked|naive]
 *
 * A client connects to `ws://HOST:PORT/?room=NAME`; every text frame it sends goes to every other client
 * of that room. Two habits make it fast, and Parley can copy both:
 * - each outgoing frame is built once (header + payload bytes), however many recipients it has;
 * - each socket is written once per event-loop turn: frames for a socket are queued and flushed, corked,
 *   in a `setImmediate`, so a burst of N messages costs one write system call per recipient, not N.
 * The other modes show what each habit is worth: `naive` calls `ws.send()` once per recipient; `corked`
 * does the same inside a per-turn cork/uncork of each socket (what Parley's gateway does today).
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";

interface Peer {
  ws: WebSocket;
  socket: Socket;
  room: Set<Peer>;
  queue: Buffer[];
  corked: boolean;
}

/** An unmasked server text frame: header and payload in one buffer. */
export function serverTextFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x81;
  if (len < 126) out[1] = len;
  else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  payload.copy(out, head);
  return out;
}

export interface BareServer {
  port: number;
  close(): Promise<void>;
}

export type BareMode = "batched" | "corked" | "naive";
export const BARE_MODES: readonly BareMode[] = ["batched", "corked", "naive"];

export function startBareServer(
  port = 0,
  host = "127.0.0.1",
  mode: BareMode = "batched",
): Promise<BareServer> {
  const rooms = new Map<string, Set<Peer>>();
  const dirty: Peer[] = [];
  let flushScheduled = false;

  const corked: Peer[] = [];
  const uncorkAll = (): void => {
    flushScheduled = false;
    for (const peer of corked) {
      peer.corked = false;
      peer.socket.uncork();
    }
    corked.length = 0;
  };

  const flush = (): void => {
    flushScheduled = false;
    for (const peer of dirty) {
      const q = peer.queue;
      if (q.length === 1) peer.socket.write(q[0]!);
      else {
        peer.socket.cork();
        for (const frame of q) peer.socket.write(frame);
        peer.socket.uncork();
      }
      peer.queue = [];
    }
    dirty.length = 0;
  };

  const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: 64 * 1024 });
  wss.on("connection", (ws: WebSocket, req: IncomingMessage) => {
    // `ws` writes to the request's socket after the upgrade; writing whole frames to it directly lets
    // one buffer go to many sockets without `ws` copying or re-framing it per recipient.
    const socket = req.socket as Socket;
    socket.setNoDelay(true);
    const name = new URL(req.url ?? "/", "http://bare").searchParams.get("room") ?? "lobby";
    let room = rooms.get(name);
    if (!room) rooms.set(name, (room = new Set()));
    const self: Peer = { ws, socket, room, queue: [], corked: false };
    room.add(self);
    ws.on("close", () => {
      room.delete(self);
      if (room.size === 0) rooms.delete(name);
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      if (mode === "naive") {
        for (const peer of room) if (peer !== self) peer.ws.send(data, { binary: false });
        return;
      }
      if (mode === "corked") {
        for (const peer of room) {
          if (peer === self) continue;
          if (!peer.corked) {
            peer.corked = true;
            peer.socket.cork();
            corked.push(peer);
          }
          peer.ws.send(data, { binary: false });
        }
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(uncorkAll);
        }
        return;
      }
      const frame = serverTextFrame(data);
      for (const peer of room) {
        if (peer === self) continue;
        if (peer.queue.length === 0) dirty.push(peer);
        peer.queue.push(frame);
      }
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  });
  return new Promise((resolve, reject) => {
    wss.once("error", reject);
    wss.once("listening", () => {
      const address = wss.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const portArg = args.indexOf("--port");
  const port = portArg >= 0 ? Number(args[portArg + 1]) : 0;
  const modeArg = args.indexOf("--mode");
  const mode = (modeArg >= 0 ? args[modeArg + 1] : "batched") as BareMode;
  if (!BARE_MODES.includes(mode)) throw new Error(`--mode must be one of ${BARE_MODES.join(", ")}`);
  const server = await startBareServer(port, "127.0.0.1", mode);
  console.log(`bare listening on ws://127.0.0.1:${server.port}/`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
