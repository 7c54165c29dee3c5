/**
 * A TCP proxy the test controls, to break the link between a client and a real hub the ways
 * networks do: `cut()` resets every connection (hub and client both notice), `blackhole()` keeps
 * the sockets open but drops all bytes (only keep-alive can notice).
 */
import net from "node:net";

export interface TestProxy {
  port: number;
  /** Live client connections through the proxy. */
  connections(): number;
  cut(): void;
  blackhole(on: boolean): void;
  /** Drops only hub → client bytes: requests arrive, replies and events are lost. */
  dropReplies(on: boolean): void;
  /** On a plain ws:// link: drops the next hub → client chunk that contains this text (one lost frame). */
  dropChunksWith(text: string | null): void;
  /** Points new connections at another upstream port. */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startProxy(upstreamPort: number): Promise<TestProxy> {
  let target = upstreamPort;
  let dropping = false;
  let droppingDown = false;
  let dropText: string | null = null;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: target });
    const pair = { client, upstream };
    pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket, down: boolean) =>
      from.on("data", (chunk) => {
        if (dropping || (down && droppingDown)) return;
        if (down && dropText !== null && chunk.includes(dropText)) {
          dropText = null;
          return;
        }
        to.write(chunk);
      });
    forward(client, upstream, false);
    forward(upstream, client, true);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => pairs.size,
    cut: () => {
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    blackhole: (on) => {
      dropping = on;
    },
    dropChunksWith: (text) => {
      dropText = text;
    },
    dropReplies: (on) => {
      droppingDown = on;
    },
    retarget: (p) => {
      target = p;
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
