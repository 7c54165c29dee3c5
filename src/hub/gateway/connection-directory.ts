/**
 * `admin.connections` across a cluster: the asking node publishes a query on the bus, every node (itself
 * included) reports the user's connections it holds, and the answers gathered within `waitMs` are the
 * result. With the in-process bus the only node answers at once.
 */
import { randomBytes } from "node:crypto";
import type { AdminConnection } from "../../protocol/model.js";
import type { Bus, BusMessage } from "../bus/bus.js";
import type { ConnectionDirectory } from "../domain/admin.js";
import type { UserId } from "../ids.js";
import type { Connection } from "./connection.js";

export interface LocalConnections {
  connectionsOf(userId: UserId): Iterable<Connection>;
}

export class ClusterConnections implements ConnectionDirectory {
  private readonly pending = new Map<string, AdminConnection[]>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly local: LocalConnections,
    private readonly bus: Bus,
    private readonly nodeId: string,
    /** How long to gather reports from other nodes; 0 with a single node. */
    private readonly waitMs: number,
  ) {
    this.unsubscribe = bus.subscribe((message) => this.onBus(message));
  }

  private onBus(message: BusMessage): void {
    if (message.kind === "connections-query") {
      const connections = [...this.local.connectionsOf(message.userId)].map((conn) => ({
        id: conn.id,
        node: this.nodeId,
        address: conn.address,
        since: conn.openedAt,
      }));
      void this.bus.publish({ kind: "connections-report", queryId: message.queryId, connections });
    } else if (message.kind === "connections-report") {
      this.pending.get(message.queryId)?.push(...message.connections);
    }
  }

  async connectionsOf(userId: UserId): Promise<AdminConnection[]> {
    const queryId = randomBytes(8).toString("hex");
    const found: AdminConnection[] = [];
    this.pending.set(queryId, found);
    try {
      await this.bus.publish({ kind: "connections-query", queryId, userId });
      if (this.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, this.waitMs));
      return found.sort((a, b) => a.since - b.since || a.id.localeCompare(b.id));
    } finally {
      this.pending.delete(queryId);
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
