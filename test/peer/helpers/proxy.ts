/**
 * A TCP proxy standing in for "the network" between two parties: it records every byte that passes
 * (to prove what an observer on the path, or the hub, could see), can cut live connections (a
 * dropped link), and can refuse or black-hole new ones (a firewall).
 */
import { createServer, connect, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Every byte seen in either direction, in arrival order. */
  captured(): Buffer;
  /** Per connection, the bytes each way: `up` from the dialer, `down` to it. */
  streams(): Array<{ up: Buffer; down: Buffer }>;
  /** Destroys every live connection (both sides see a reset). */
  cut(): void;
  /**
   * "pass" forwards; "drop" forwards nothing — new connections are accepted and held silent, and live
   * ones stop carrying bytes without closing (a link that died without a FIN, which only keep-alive notices).
   */
  mode: "pass" | "drop";
  /** Where new connections go; settable, for a target that exists only after the proxy. */
  target: { host: string; port: number };
  /** Milliseconds a new connection waits before it reaches the target (a slow path). */
  connectDelayMs: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const chunks: Buffer[] = [];
  const perConnection: Array<{ up: Buffer[]; down: Buffer[] }> = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };
  const proxy: TcpProxy = {
    port: 0,
    mode: "pass",
    target,
    connectDelayMs: 0,
    captured: () => Buffer.concat(chunks),
    streams: () => perConnection.map((c) => ({ up: Buffer.concat(c.up), down: Buffer.concat(c.down) })),
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  };
  const server = createServer((client) => {
    track(client);
    if (proxy.mode === "drop") return; // held open, silent: like a firewall that drops packets
    // Until `forward` listens for data, the client's bytes wait in its socket.
    if (proxy.connectDelayMs > 0) setTimeout(() => forward(client), proxy.connectDelayMs);
    else forward(client);
  });
  const forward = (client: Socket): void => {
    if (client.destroyed) return;
    const upstream = connect(proxy.target);
    track(upstream);
    const record = { up: [] as Buffer[], down: [] as Buffer[] };
    perConnection.push(record);
    client.on("data", (data: Buffer) => {
      if (proxy.mode === "drop") return;
      chunks.push(Buffer.from(data));
      record.up.push(Buffer.from(data));
      upstream.write(data);
    });
    upstream.on("data", (data: Buffer) => {
      if (proxy.mode === "drop") return;
      chunks.push(Buffer.from(data));
      record.down.push(Buffer.from(data));
      client.write(data);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy not bound");
  proxy.port = address.port;
  return proxy;
}
