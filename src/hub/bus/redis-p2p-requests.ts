/**
 * The direct-chat request table in Redis, shared by every hub node (contract in p2p-requests.ts). Each
 * transition is one Lua script, so it is decided once even with every node racing. Keys (prefix `P`):
 *
 *   P:p2p:req:<id>          HASH    the request's fields; expires with the request (PX)
 *   P:p2p:pending:<userId>  ZSET    id -> expiresAt: the user's unanswered requests, for the cap
 *   P:p2p:channel           STRING  counter: relay channel numbers, unique cluster-wide
 *   P:p2p:chan:<n>          STRING  the id of the request on channel n; expires with it
 *
 * Scripts compute the pending-set and channel keys of a request from the prefix, which a single Redis
 * (or a Sentinel-managed primary) allows; Redis Cluster is not supported (as for presence).
 */
import type { Redis } from "ioredis";
import type { UserId } from "../store/store.js";
import { MAX_CHANNEL, type P2pRequestRecord, type P2pRequests, type Party } from "./p2p-requests.js";
import { connectRedis, firstConnect, luaCommand, type LuaCall, type RedisSpec } from "./redis-options.js";

// Shared: read a request hash into table `h` (nil when absent or expired by the hub's clock).
const LOAD = `
local function load(key, now)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  if tonumber(h.expiresAt) <= tonumber(now) then return nil end
  return h
end
local function party(h, side, user, device)
  if side == 'from' then return h.fromUserId == user end
  if h.toUserId ~= user then return false end
  return h.toDevice == '' or h.toDevice == device
end
`;

/** KEYS: request, pending set. ARGV: now, maxPending, ttlMs, expiresAt, id, field, value, … Returns 1 or 0. */
const CREATE = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

/** KEYS: request. ARGV: now, side, userId, device, prefix. Deletes a pending request; returns its hash. */
const REMOVE_PENDING = `${LOAD}
local h = load(KEYS[1], ARGV[1])
if not h or h.state ~= 'pending' or not party(h, ARGV[2], ARGV[3], ARGV[4]) then return nil end
local flat = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[5] .. ':p2p:pending:' .. h.fromUserId, h.id)
return flat
`;

/** KEYS: request. ARGV: now, userId, device, conn, expiresAt, prefix. Accepts; returns the new hash. */
const ACCEPT = `${LOAD}
local h = load(KEYS[1], ARGV[1])
if not h or h.state ~= 'pending' or not party(h, 'to', ARGV[2], ARGV[3]) then return nil end
redis.call('HSET', KEYS[1], 'state', 'accepted', 'toDevice', ARGV[3], 'toConn', ARGV[4], 'expiresAt', ARGV[5])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) - tonumber(ARGV[1]))
redis.call('ZREM', ARGV[6] .. ':p2p:pending:' .. h.fromUserId, h.id)
return redis.call('HGETALL', KEYS[1])
`;

/**
 * KEYS: request, channel counter. ARGV: now, userId, conn, prefix, maxChannel. Binds the caller's side
 * and allocates the channel on first use; returns the new hash.
 */
const BIND = `${LOAD}
local h = load(KEYS[1], ARGV[1])
if not h or h.state ~= 'accepted' then return nil end
if h.fromUserId == ARGV[2] then
  redis.call('HSET', KEYS[1], 'fromConn', ARGV[3])
elseif h.toUserId == ARGV[2] then
  redis.call('HSET', KEYS[1], 'toConn', ARGV[3])
else
  return nil
end
if h.channel == '' then
  local n = redis.call('INCR', KEYS[2])
  local channel = ((n - 1) % tonumber(ARGV[5])) + 1
  redis.call('HSET', KEYS[1], 'channel', channel)
  redis.call('SET', ARGV[4] .. ':p2p:chan:' .. channel, h.id, 'PX', tonumber(h.expiresAt) - tonumber(ARGV[1]))
end
return redis.call('HGETALL', KEYS[1])
`;

/** KEYS: channel key. ARGV: now, prefix. Returns the hash of the live request on the channel. */
const BY_CHANNEL = `${LOAD}
local id = redis.call('GET', KEYS[1])
if not id then return nil end
local key = ARGV[2] .. ':p2p:req:' .. id
if not load(key, ARGV[1]) then return nil end
return redis.call('HGETALL', key)
`;

function fields(request: P2pRequestRecord): string[] {
  return [
    "id",
    request.id,
    "fromUserId",
    String(request.fromUserId),
    "fromName",
    request.fromName,
    "fromDevice",
    request.fromDevice,
    "toUserId",
    String(request.toUserId),
    "toDevice",
    request.toDevice ?? "",
    "fromConn",
    request.fromConn,
    "toConn",
    request.toConn ?? "",
    "state",
    request.state,
    "expiresAt",
    String(request.expiresAt),
    "channel",
    request.channel === undefined ? "" : String(request.channel),
  ];
}

function parse(reply: unknown): P2pRequestRecord | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) h[String(reply[i])] = String(reply[i + 1]);
  const optional = (value: string | undefined): string | undefined => (value ? value : undefined);
  return {
    id: h.id ?? "",
    fromUserId: Number(h.fromUserId),
    fromName: h.fromName ?? "",
    fromDevice: h.fromDevice ?? "",
    toUserId: Number(h.toUserId),
    toDevice: optional(h.toDevice),
    fromConn: h.fromConn ?? "",
    toConn: optional(h.toConn),
    state: h.state === "accepted" ? "accepted" : "pending",
    expiresAt: Number(h.expiresAt),
    channel: h.channel ? Number(h.channel) : undefined,
  };
}

export class RedisP2pRequests implements P2pRequests {
  private readonly scripts: Record<"create" | "remove" | "accept" | "bind" | "byChannel", LuaCall>;
  private readonly keys;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = {
      request: (id: string) => `${prefix}:p2p:req:${id}`,
      pending: (userId: UserId) => `${prefix}:p2p:pending:${userId}`,
      counter: `${prefix}:p2p:channel`,
      channel: (n: number) => `${prefix}:p2p:chan:${n}`,
    };
    this.scripts = {
      create: luaCommand(redis, "parleyP2pCreate", 2, CREATE),
      remove: luaCommand(redis, "parleyP2pRemovePending", 1, REMOVE_PENDING),
      accept: luaCommand(redis, "parleyP2pAccept", 1, ACCEPT),
      bind: luaCommand(redis, "parleyP2pBind", 2, BIND),
      byChannel: luaCommand(redis, "parleyP2pByChannel", 1, BY_CHANNEL),
    };
  }

  static async open(spec: RedisSpec, nodeId: string): Promise<RedisP2pRequests> {
    const redis = connectRedis(spec, `parley-p2p:${nodeId}`);
    await firstConnect(redis, spec);
    // Failures reach the caller per command (the domain answers UNAVAILABLE); ioredis needs a listener.
    redis.on("error", () => {});
    return new RedisP2pRequests(redis, spec.prefix);
  }

  async create(request: P2pRequestRecord, now: number, maxPending: number): Promise<boolean> {
    const ttl = Math.max(1, request.expiresAt - now);
    const created = await this.scripts.create(
      [this.keys.request(request.id), this.keys.pending(request.fromUserId)],
      [now, maxPending, ttl, request.expiresAt, request.id, ...fields(request)],
    );
    return created === 1;
  }

  async removePending(id: string, party: Party, now: number): Promise<P2pRequestRecord | undefined> {
    return parse(
      await this.scripts.remove(
        [this.keys.request(id)],
        [now, party.side, String(party.userId), party.device ?? "", this.prefix],
      ),
    );
  }

  async accept(
    id: string,
    userId: UserId,
    device: string,
    conn: string,
    expiresAt: number,
    now: number,
  ): Promise<P2pRequestRecord | undefined> {
    return parse(
      await this.scripts.accept(
        [this.keys.request(id)],
        [now, String(userId), device, conn, expiresAt, this.prefix],
      ),
    );
  }

  async bindRelay(
    id: string,
    userId: UserId,
    conn: string,
    now: number,
  ): Promise<P2pRequestRecord | undefined> {
    return parse(
      await this.scripts.bind(
        [this.keys.request(id), this.keys.counter],
        [now, String(userId), conn, this.prefix, MAX_CHANNEL],
      ),
    );
  }

  async byChannel(channel: number, now: number): Promise<P2pRequestRecord | undefined> {
    return parse(await this.scripts.byChannel([this.keys.channel(channel)], [now, this.prefix]));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => {});
    this.redis.disconnect();
  }
}
