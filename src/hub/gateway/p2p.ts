/**
 * The hub's peer-to-peer ops and the relay's binary frames. The ops are thin: rules are in
 * domain/p2p.ts. A relay frame is `u32 channel (big-endian) | opaque bytes` (PROTOCOL.md, P2P); the
 * hub reads the channel, asks the domain whether this connection may use it, and forwards the frame
 * untouched to the other party's connection through the Bus (so it works across nodes).
 */
import { errorReply } from "../../protocol/frames.js";
import { CloseCode } from "../../protocol/limits.js";
import { LocalLimiter, type LimiterRule } from "../bus/limiter.js";
import type { Clock } from "../clock.js";
import type { Devices } from "../domain/devices.js";
import type { DeviceActor, P2p } from "../domain/p2p.js";
import type { Connection } from "./connection.js";
import type { HandlerTable, RequestContext } from "./handlers.js";
import type { Gateway } from "./websocket.js";

/** The device ops and the p2p ops, for `GatewayOptions.extraHandlers`. */
export function p2pHandlers(p2p: P2p, devices: Devices): HandlerTable {
  // The device each connection announced: its later p2p ops act as that device. Kept per user, so a
  // connection that logs in as someone else starts without one.
  const announced = new WeakMap<Connection, { userId: number; device: string }>();
  const as = (ctx: RequestContext): DeviceActor => {
    const entry = announced.get(ctx.conn);
    return { ...ctx.actor, deviceId: entry?.userId === ctx.actor.userId ? entry.device : undefined };
  };
  return {
    "peer.announce": async (ctx, p) => {
      const result = await devices.announce(ctx.actor, p);
      announced.set(ctx.conn, { userId: ctx.actor.userId, device: result.device });
      return result;
    },
    "devices.list": (ctx, p) => devices.list(ctx.actor, p),
    "device.sign": (ctx, p) => devices.sign(ctx.actor, p),
    "device.revoke": (ctx, p) => devices.revoke(ctx.actor, p),
    "p2p.request": (ctx, p) => p2p.request(as(ctx), p),
    "p2p.answer": (ctx, p) => p2p.answer(as(ctx), p),
    "p2p.cancel": (ctx, p) => p2p.cancel(as(ctx), p),
    "p2p.relay": (ctx, p) => p2p.relay(as(ctx), p),
  };
}

/**
 * Relay bytes each connection may send: generous for chat (a relayed session carries text and acks),
 * but it keeps one client from turning the hub into a free bulk pipe.
 */
export const RELAY_BYTES: LimiterRule = { ratePerSecond: 1024 * 1024, burst: 4 * 1024 * 1024 };

/** Wires relay frames in (binary frames from clients) and out (Bus relay messages to this node's connections). */
export function installRelay(
  gateway: Gateway,
  p2p: P2p,
  clock: Clock,
  budget: LimiterRule = RELAY_BYTES,
): void {
  const bytes = new LocalLimiter(budget, clock);
  const refuse = (conn: Connection, why: string): void => {
    conn.sendJson(errorReply(null, "BAD_FRAME", why));
    if (conn.countBadFrame(clock.now())) conn.close(CloseCode.policy, "too many bad frames");
  };

  gateway.binaryHandler = (conn, data) => {
    if (data.length < 4) return refuse(conn, "a relay frame starts with a 4-byte channel number");
    const channel = data.readUInt32BE(0);
    const wait = bytes.takeSync(conn.id, data.length);
    if (wait > 0) {
      // Dropped, not queued: the peers' TLS session breaks and they re-establish, which is the
      // honest outcome for a sender that ignores the budget.
      conn.sendJson(errorReply(null, "RATE_LIMITED", "relay byte budget exceeded", { retryAfterMs: wait }));
      return;
    }
    p2p.forward(conn.id, channel, data.subarray(4)).then(
      (outcome) => {
        if (outcome === "not-yours") refuse(conn, `relay channel ${channel} is not open for this connection`);
      },
      () => refuse(conn, `relay channel ${channel} is unavailable`),
    );
  };

  gateway.delivery.relay = (message) => {
    const conn = gateway.connection(message.toConn);
    if (!conn || conn.ws.readyState !== conn.ws.OPEN) return;
    const frame = Buffer.allocUnsafe(4 + message.data.length);
    frame.writeUInt32BE(message.channel, 0);
    frame.set(message.data, 4);
    conn.ws.send(frame, { binary: true });
  };
}
