/**
 * The TCP listener peers dial for direct sessions. Each connection runs the server side of the
 * handshake; only keys the owner currently expects (accepted chats) get through, everyone else is
 * refused after TLS with a reason.
 *
 * It binds only where it announces: by default one socket per address `listenAddresses()` names
 * (the machine's real interfaces, on one port where it can), never the wildcard — so it is reachable
 * exactly at the endpoints it tells peers about. An explicit `host` binds that one address (the
 * wildcard "0.0.0.0"/"::" included, if asked for: then it announces every interface address).
 */
import { EventEmitter } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { Endpoint } from "../protocol/model.js";
import { listenAddresses } from "./addresses.js";
import { asError } from "./errors.js";
import { serverHandshake, type SecureChannel } from "./handshake.js";
import type { Identity } from "./identity.js";

export interface ListenOptions {
  /** Address to bind; default each address of the machine's real interfaces (`listenAddresses()`). */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Handshakes in progress at most; more connections are dropped at once (cheap flood defence). */
  maxPending?: number;
}

export interface ListenerEvents {
  /** An authenticated channel from a peer whose key `accepts` approved. */
  channel: [SecureChannel];
  /** A connection that failed the handshake (wrong key, garbage, timeout). */
  rejected: [Error, string];
}

export class PeerListener extends EventEmitter<ListenerEvents> {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private pending = 0;

  private constructor(
    private readonly identity: Identity,
    private readonly accepts: (key: string) => boolean,
    private readonly maxPending: number,
  ) {
    super();
  }

  static async listen(
    identity: Identity,
    accepts: (key: string) => boolean,
    options: ListenOptions = {},
  ): Promise<PeerListener> {
    const listener = new PeerListener(identity, accepts, options.maxPending ?? 32);
    const hosts = options.host !== undefined ? [options.host] : listenAddresses();
    let port = options.port ?? 0;
    try {
      for (const host of hosts) {
        // The same port on every address where it is free, so endpoints stay easy to read.
        const bound = await listener.bind(host, port).catch((err: unknown) => {
          if (port !== 0 && options.port === undefined) return listener.bind(host, 0);
          throw err;
        });
        if (port === 0) port = bound;
      }
    } catch (err) {
      await listener.close();
      throw err;
    }
    return listener;
  }

  private bind(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.onConnection(socket));
    return new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        this.servers.push(server);
        resolve(addressOf(server).port);
      });
    });
  }

  /** The first bound address (the only one when a host was given). */
  get address(): { host: string; port: number } {
    const first = this.servers[0];
    if (!first) throw new Error("peer listener is not bound");
    return addressOf(first);
  }

  /**
   * Where peers can reach us: the bound addresses, or for a wildcard bind every non-internal interface
   * address (loopback only when there is nothing else, so a remote peer never dials its own machine).
   */
  endpoints(): Endpoint[] {
    const bound = this.servers.map(addressOf);
    const wildcard = bound.find((b) => b.host === "0.0.0.0" || b.host === "::");
    if (!wildcard) return bound;
    const { host, port } = wildcard;
    const external: Endpoint[] = [];
    const internal: Endpoint[] = [];
    for (const infos of Object.values(networkInterfaces())) {
      for (const info of infos ?? []) {
        if (host === "0.0.0.0" && info.family !== "IPv4") continue;
        if (info.family === "IPv6" && info.scopeid) continue; // link-local needs a zone id
        (info.internal ? internal : external).push({ host: info.address, port });
      }
    }
    return external.length > 0 ? external : internal;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }

  private onConnection(socket: Socket): void {
    const where = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    if (this.pending >= this.maxPending) {
      socket.destroy();
      return;
    }
    this.pending++;
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {}); // reported through the handshake or the session
    serverHandshake(socket, { identity: this.identity, accepts: this.accepts, where })
      .then((channel) => this.emit("channel", channel))
      .catch((err: unknown) => this.emit("rejected", asError(err), where))
      .finally(() => this.pending--);
  }
}

function addressOf(server: Server): { host: string; port: number } {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("peer listener is not bound");
  return { host: address.address, port: address.port };
}
