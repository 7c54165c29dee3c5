/**
 * One interface over the three protocols the fan-out workload speaks: Parley (over the raw WebSocket
 * client), IRC (InspIRCd, or a Parley hub's IRC gateway) and the bare reference's frames. Each gives raw received payloads with one
 * clock read per socket read, and sends a batch of bodies in one write.
 */
import type { MicroClock } from "./clock.js";
import { IrcConn } from "./irc.js";
import { ParleyConn, ParleyError } from "./parley.js";
import { RawWs, encodeTextFrames } from "./ws-raw.js";

export interface ServerInfo {
  name: string;
  proto: "parley" | "bare" | "irc";
  host: string;
  port: number;
  tls: boolean;
  fingerprint?: string;
  /**
   * IRC into a Parley hub (`parley-irc`): every client logs in with `PASS username:password`, this being
   * the password of the template's accounts.
   */
  ircPassword?: string;
}

export interface ClientSpec {
  /** Global client index (also the Parley account / IRC nick number). */
  index: number;
  room: number;
  /** Index inside the room: the sender id carried in bodies. */
  slot: number;
  username: string;
  /** Parley session token (accounts are created before the run). */
  token?: string;
}

export const roomName = (prefix: string, room: number): string => `${prefix}${room}`;

export interface BenchClient {
  /** Raw payloads: a text frame (Parley, bare) or a line (IRC). Returns true when consumed. */
  onPayload: (payload: Buffer, nowUs: number) => boolean;
  onClose: (reason: string) => void;
  /** Sends the bodies to the client's room, in order, in one socket write. */
  sendBodies(bodies: readonly string[]): void;
  /** Replies to sends counted so far (Parley only; others have no replies). */
  acks(): { ok: number; errors: number; firstError?: string };
  close(): void;
  destroy(): void;
}

export async function openClient(
  server: ServerInfo,
  spec: ClientSpec,
  roomPrefix: string,
  clock: MicroClock,
): Promise<BenchClient> {
  const room = roomName(roomPrefix, spec.room);
  if (server.proto === "parley") return openParley(server, spec, room, clock);
  if (server.proto === "irc") return openIrc(server, spec, room, clock);
  return openBare(server, room, clock);
}

async function openParley(
  server: ServerInfo,
  spec: ClientSpec,
  room: string,
  clock: MicroClock,
): Promise<BenchClient> {
  if (!spec.token) throw new Error(`client ${spec.index} has no session token`);
  const conn = await ParleyConn.connect(server, clock);
  await conn.resume(spec.token);
  try {
    await conn.request("room.join", { room });
  } catch (err) {
    if (!(err instanceof ParleyError && err.code === "ALREADY_MEMBER")) throw err;
  }
  const client: BenchClient = {
    onPayload: () => false,
    onClose: () => {},
    sendBodies(bodies) {
      conn.ws.sendTexts(
        // The cid names the room (unique per run) and the body's sender and seq: a retry of one message
        // would share it, and a later run with the same accounts never collides with an earlier one.
        bodies.map((body) => conn.fireFrame("msg.send", { room, body, cid: `${room}.${body.slice(3, 19)}` })),
      );
    },
    acks: () => ({
      ok: conn.firedOk,
      errors: conn.firedErrors,
      ...(conn.firstFiredError ? { firstError: conn.firstFiredError } : {}),
    }),
    close: () => conn.close(),
    destroy: () => conn.ws.destroy(),
  };
  conn.onHotFrame = (payload, now) => client.onPayload(payload, now);
  conn.onClose = (reason) => client.onClose(reason);
  return client;
}

async function openIrc(
  server: ServerInfo,
  spec: ClientSpec,
  room: string,
  clock: MicroClock,
): Promise<BenchClient> {
  const conn = await IrcConn.connect(server.host, server.port, clock);
  const channel = `#${room}`;
  const client: BenchClient = {
    onPayload: () => false,
    onClose: () => {},
    sendBodies(bodies) {
      conn.send(bodies.map((b) => `PRIVMSG ${channel} :${b}\r\n`).join(""));
    },
    acks: () => ({ ok: 0, errors: 0 }),
    close: () => conn.close(),
    destroy: () => conn.destroy(),
  };
  conn.onLine = (line, now) => client.onPayload(line, now);
  conn.onClose = (reason) => client.onClose(reason);
  const pass = server.ircPassword === undefined ? undefined : `${spec.username}:${server.ircPassword}`;
  await conn.register(`${spec.username}`, channel, 30_000, pass);
  return client;
}

async function openBare(server: ServerInfo, room: string, clock: MicroClock): Promise<BenchClient> {
  const ws = await RawWs.connect(
    { host: server.host, port: server.port, path: `/?room=${room}`, tls: false },
    clock,
  );
  const client: BenchClient = {
    onPayload: () => false,
    onClose: () => {},
    sendBodies(bodies) {
      ws.socket.write(encodeTextFrames(bodies));
    },
    acks: () => ({ ok: 0, errors: 0 }),
    close: () => ws.close(),
    destroy: () => ws.destroy(),
  };
  ws.onText = (payload, now) => void client.onPayload(payload, now);
  ws.onClose = (reason) => client.onClose(reason);
  return client;
}
