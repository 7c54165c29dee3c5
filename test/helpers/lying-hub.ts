/**
 * A lying hub: a WebSocket proxy in front of a real (plain ws://) hub that forwards every frame both
 * ways and lets the test rewrite the JSON the hub sends a client — the key directory a malicious hub
 * operator controls (swap a user's key and address, add endpoints, drop signatures).
 */
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { SUBPROTOCOL } from "../../src/protocol/limits.js";

export type Frame = Record<string, unknown>;

export interface LyingHub {
  url: string;
  /** Rewrites a hub → client text frame (return it unchanged to pass it on). */
  rewrite: (frame: Frame) => Frame;
  /** Hub → client text frames as the client received them (after rewriting). */
  delivered: Frame[];
  close(): Promise<void>;
}

export async function startLyingHub(upstream: string): Promise<LyingHub> {
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const sockets = new Set<WebSocket>();
  const hub: LyingHub = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    rewrite: (frame) => frame,
    delivered: [],
    close: async () => {
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on("connection", (client) => {
    const up = new WebSocket(upstream, [SUBPROTOCOL]);
    sockets.add(client).add(up);
    const early: Array<[RawData, boolean]> = [];
    client.on("message", (data, isBinary) => {
      if (up.readyState === WebSocket.OPEN) up.send(data, { binary: isBinary });
      else early.push([data, isBinary]);
    });
    up.on("open", () => {
      for (const [data, isBinary] of early.splice(0)) up.send(data, { binary: isBinary });
    });
    up.on("message", (data, isBinary) => {
      if (isBinary) {
        client.send(data, { binary: true });
        return;
      }
      const frame = hub.rewrite(JSON.parse(data.toString()) as Frame);
      hub.delivered.push(frame);
      client.send(JSON.stringify(frame));
    });
    const end = (): void => {
      client.terminate();
      up.terminate();
    };
    client.on("close", end).on("error", end);
    up.on("close", end).on("error", end);
  });
  return hub;
}
