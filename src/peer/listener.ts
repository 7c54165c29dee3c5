/**
 * The TCP listener peers dial for direct sessions. Each connection runs the server side of the
 * handshake; only keys the owner currently expects (accepted chats) get through, everyone else is
 * refused after TLS with a reason.
 */
import { EventEmitter } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { Endpoint } from "../protocol/model.js";
import { asError } from "./errors.js";
import { serverHandshake, type SecureChannel } from "./handshake.js";
import type { Identity } from "./identity.js";

export interface ListenOptions {
  /** Address to bind; default all interfaces ("0.0.0.0"). */
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
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private pending = 0;

  private constructor(
    private readonly identity: Identity,
    private readonly accepts: (key: string) => boolean,
    private readonly maxPending: number,
  ) {
    super();
    this.server = createServer((socket) => this.onConnection(socket));
  }

  static async listen(
    identity: Identity,
    accepts: (key: string) => boolean,
    options: ListenOptions = {},
  ): Promise<PeerListener> {
    const listener = new PeerListener(identity, accepts, options.maxPending ?? 32);
    await new Promise<void>((resolve, reject) => {
      listener.server.once("error", reject);
      listener.server.listen(options.port ?? 0, options.host ?? "0.0.0.0", () => {
        listener.server.off("error", reject);
        resolve();
      });
    });
    return listener;
  }

  get address(): { host: string; port: number } {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("peer listener is not bound");
    return { host: address.address, port: address.port };
  }

  /**
   * Where peers can reach us: the bound address, or for a wildcard bind every non-internal interface
   * address (loopback only when there is nothing else, so a remote peer never dials its own machine).
   */
  endpoints(): Endpoint[] {
    const { host, port } = this.address;
    if (host !== "0.0.0.0" && host !== "::") return [{ host, port }];
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
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
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
