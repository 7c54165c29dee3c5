/**
 * Presence shared by every hub node through Redis (key layout in redis-presence-scripts.ts).
 *
 * Each node registers its connections under its own name and keeps a heartbeat key alive. A janitor on
 * every node reaps nodes whose heartbeat expired: their connections are dropped, and the users left
 * with none anywhere are reported (to exactly one node) through `onExpired`. With the defaults a dead
 * node's users go offline within ttl + interval = 20 s.
 *
 * This node's own connections are also kept in memory: they are the truth Redis is re-synced from
 * after an outage (Redis restarted empty, or this node was reaped while cut off), and the fallback
 * answer while Redis cannot be reached.
 */
import type { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import type { UserId } from "../store/store.js";
import type { Presence } from "./presence.js";
import type { BusLog } from "./redis-bus.js";
import { CONNECT, DISCONNECT, HEARTBEAT, REAP, SYNC } from "./redis-presence-scripts.js";
import { connectRedis, firstConnect, luaCommand, type LuaCall, type RedisSpec } from "./redis-options.js";

export interface RedisPresenceOptions {
  /** How often this node renews its heartbeat and looks for dead nodes. */
  intervalMs?: number;
  /** How long a heartbeat lives: a node silent this long is dead. */
  ttlMs?: number;
  log?: BusLog;
}

export class RedisPresence implements Presence {
  private readonly expiredHandlers = new Set<(userIds: UserId[]) => void>();
  /** connId -> userId for this node's connections. */
  private readonly local = new Map<string, UserId>();
  private readonly node: string;
  private readonly keys;
  private readonly scripts: Record<"connect" | "disconnect" | "heartbeat" | "reap" | "sync", LuaCall>;
  private readonly timer: NodeJS.Timeout;
  private readonly ttlMs: number;
  private readonly log: BusLog | undefined;
  private needsSync = false;
  private ticking = false;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    nodeId: string,
    options: RedisPresenceOptions,
  ) {
    // A restarted node is a new node: its predecessor's leftovers are reaped like any dead node's.
    this.node = `${nodeId.slice(0, 200)}/${randomBytes(6).toString("hex")}`;
    this.ttlMs = options.ttlMs ?? 15_000;
    const p = `${prefix}:presence`;
    this.keys = {
      user: (id: UserId | string) => `${p}:user:${id}`,
      nodeSet: (node: string) => `${p}:node:${node}`,
      alive: (node: string) => `${p}:alive:${node}`,
      nodes: `${p}:nodes`,
      online: `${p}:online`,
    };
    this.scripts = {
      connect: luaCommand(redis, "parleyPresenceConnect", 3, CONNECT),
      disconnect: luaCommand(redis, "parleyPresenceDisconnect", 3, DISCONNECT),
      heartbeat: luaCommand(redis, "parleyPresenceHeartbeat", 2, HEARTBEAT),
      reap: luaCommand(redis, "parleyPresenceReap", 4, REAP),
      sync: luaCommand(redis, "parleyPresenceSync", 4, SYNC),
    };
    redis.on("error", (err: Error) =>
      options.log?.warn({ err: err.message }, "redis presence connection error"),
    );
    // Anything may have happened while we were away (a Redis restart loses everything): re-register.
    redis.on("ready", () => {
      this.needsSync = true;
      void this.tick();
    });
    this.timer = setInterval(() => void this.tick(), options.intervalMs ?? 5_000);
    this.timer.unref();
    this.log = options.log;
  }

  static async open(
    spec: RedisSpec,
    nodeId: string,
    options: RedisPresenceOptions = {},
  ): Promise<RedisPresence> {
    const redis = connectRedis(spec, `parley-presence:${nodeId}`);
    await firstConnect(redis, spec);
    const presence = new RedisPresence(redis, spec.prefix, nodeId, options);
    await presence.heartbeat();
    return presence;
  }

  private member(userId: UserId, connId: string): { field: string; member: string } {
    return { field: `${this.node}|${connId}`, member: `${userId}|${connId}` };
  }

  private locallyOnline(userId: UserId): boolean {
    for (const id of this.local.values()) if (id === userId) return true;
    return false;
  }

  async connect(userId: UserId, connId: string): Promise<{ first: boolean }> {
    const wasLocal = this.locallyOnline(userId);
    this.local.set(connId, userId);
    const { field, member } = this.member(userId, connId);
    try {
      const first = await this.scripts.connect(
        [this.keys.user(userId), this.keys.nodeSet(this.node), this.keys.online],
        [field, member, userId],
      );
      return { first: first === 1 };
    } catch (err) {
      this.degraded(err, "connect");
      return { first: !wasLocal };
    }
  }

  async disconnect(userId: UserId, connId: string): Promise<{ last: boolean }> {
    if (this.local.get(connId) !== userId) return { last: false };
    this.local.delete(connId);
    const { field, member } = this.member(userId, connId);
    try {
      const last = await this.scripts.disconnect(
        [this.keys.user(userId), this.keys.nodeSet(this.node), this.keys.online],
        [field, member, userId],
      );
      return { last: last === 1 };
    } catch (err) {
      this.degraded(err, "disconnect");
      return { last: !this.locallyOnline(userId) };
    }
  }

  /** Redis could not be asked: answer from this node's view and re-sync when it is back. */
  private degraded(err: unknown, what: string): void {
    this.needsSync = true;
    this.log?.warn(
      { err: (err as Error).message, what },
      "redis presence unavailable; using this node's view",
    );
  }

  async isOnline(userId: UserId): Promise<boolean> {
    try {
      return (await this.redis.sismember(this.keys.online, String(userId))) === 1;
    } catch (err) {
      this.degraded(err, "isOnline");
      return this.locallyOnline(userId);
    }
  }

  async onlineAmong(ids: readonly UserId[]): Promise<Set<UserId>> {
    if (ids.length === 0) return new Set();
    try {
      const flags = await this.redis.smismember(this.keys.online, ...ids.map(String));
      return new Set(ids.filter((_, i) => flags[i] === 1));
    } catch (err) {
      this.degraded(err, "onlineAmong");
      return new Set(ids.filter((id) => this.locallyOnline(id)));
    }
  }

  async onlineUsers(): Promise<UserId[]> {
    try {
      return (await this.redis.smembers(this.keys.online)).map(Number);
    } catch (err) {
      this.degraded(err, "onlineUsers");
      return [...new Set(this.local.values())];
    }
  }

  onExpired(handler: (userIds: UserId[]) => void): () => void {
    this.expiredHandlers.add(handler);
    return () => this.expiredHandlers.delete(handler);
  }

  /** Renews this node's heartbeat; re-registers its connections when Redis no longer knew the node. */
  private async heartbeat(): Promise<void> {
    const fresh = await this.scripts.heartbeat(
      [this.keys.alive(this.node), this.keys.nodes],
      [this.node, this.ttlMs],
    );
    if (fresh === 1 || this.needsSync) await this.sync();
  }

  private async sync(): Promise<void> {
    const pairs: Array<string | number> = [];
    for (const [connId, userId] of this.local) pairs.push(userId, connId);
    await this.scripts.sync(
      [this.keys.nodeSet(this.node), this.keys.nodes, this.keys.online, this.keys.alive(this.node)],
      [this.node, this.prefix, this.ttlMs, ...pairs],
    );
    this.needsSync = false;
  }

  /** One heartbeat and one janitor pass; overlapping ticks are skipped. */
  private async tick(): Promise<void> {
    if (this.closed || this.ticking || this.redis.status !== "ready") return;
    this.ticking = true;
    try {
      await this.heartbeat();
      await this.reapDeadNodes();
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, "redis presence heartbeat failed");
    } finally {
      this.ticking = false;
    }
  }

  private async reapDeadNodes(): Promise<void> {
    const nodes = await this.redis.smembers(this.keys.nodes);
    for (const node of nodes) {
      if (node === this.node) continue;
      const gone = (await this.scripts.reap(
        [this.keys.alive(node), this.keys.nodeSet(node), this.keys.nodes, this.keys.online],
        [node, this.prefix],
      )) as string[];
      if (gone.length === 0) continue;
      this.log?.warn({ node, users: gone.length }, "reaped a dead hub node's connections");
      const userIds = gone.map(Number);
      for (const handler of this.expiredHandlers) handler(userIds);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.expiredHandlers.clear();
    // Without our heartbeat the other nodes reap what is left at their next pass (connections the
    // gateway did not close one by one), and report those users offline.
    await this.redis.del(this.keys.alive(this.node)).catch(() => {});
    await this.redis.quit().catch(() => {});
    this.redis.disconnect();
  }
}
