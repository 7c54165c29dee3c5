/**
 * Who is online. A user is online while any of their connections (on any node) is authenticated.
 * The single-node tracker is in-memory; the cluster one keeps per-node sets in Redis with heartbeats,
 * so a dead node's users go offline when its heartbeat expires.
 */
import type { UserId } from "../store/store.js";

export interface PresenceChange {
  userId: UserId;
  online: boolean;
}

export interface Presence {
  /** Records a connection; `first` is true when the user was offline everywhere before. */
  connect(userId: UserId, connId: string): Promise<{ first: boolean }>;
  /** Forgets a connection; `last` is true when the user is now offline everywhere. */
  disconnect(userId: UserId, connId: string): Promise<{ last: boolean }>;
  isOnline(userId: UserId): Promise<boolean>;
  /** Of `ids`, those online. */
  onlineAmong(ids: readonly UserId[]): Promise<Set<UserId>>;
  onlineUsers(): Promise<UserId[]>;
  /** Users who went offline without a disconnect from their node (a node died); cluster only. */
  onExpired(handler: (userIds: UserId[]) => void): () => void;
  close(): Promise<void>;
}

export class LocalPresence implements Presence {
  private readonly connections = new Map<UserId, Set<string>>();

  async connect(userId: UserId, connId: string): Promise<{ first: boolean }> {
    let set = this.connections.get(userId);
    const first = set === undefined || set.size === 0;
    if (!set) this.connections.set(userId, (set = new Set()));
    set.add(connId);
    return { first };
  }

  async disconnect(userId: UserId, connId: string): Promise<{ last: boolean }> {
    const set = this.connections.get(userId);
    if (!set || !set.delete(connId)) return { last: false };
    if (set.size > 0) return { last: false };
    this.connections.delete(userId);
    return { last: true };
  }

  async isOnline(userId: UserId): Promise<boolean> {
    return this.connections.has(userId);
  }

  async onlineAmong(ids: readonly UserId[]): Promise<Set<UserId>> {
    return new Set(ids.filter((id) => this.connections.has(id)));
  }

  async onlineUsers(): Promise<UserId[]> {
    return [...this.connections.keys()];
  }

  onExpired(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.connections.clear();
  }
}
