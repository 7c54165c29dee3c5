/**
 * Lua scripts for RedisPresence. Each runs atomically in Redis, so "first connection anywhere", "last
 * one gone" and "reap a dead node" are decided once even with every node racing. Keys (prefix `P`):
 *
 *   P:presence:user:<userId>  HASH  "<node>|<connId>" -> 1   the user's connections on every node
 *   P:presence:node:<node>    SET   "<userId>|<connId>"      one node's connections, for reaping
 *   P:presence:alive:<node>   STRING with expiry             the node's heartbeat
 *   P:presence:nodes          SET   node                     nodes the janitors watch
 *   P:presence:online         SET   userId                   users with any connection
 *
 * The reap and sync scripts touch user hashes they compute from the prefix, which a single Redis (or a
 * Sentinel-managed primary) allows; Redis Cluster is not supported.
 */

/** KEYS: userHash, nodeSet, online. ARGV: field, member, userId. Returns 1 when the user was offline. */
export const CONNECT = `
local before = redis.call('HLEN', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], '1')
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
if before == 0 then return 1 end
return 0
`;

/** KEYS: userHash, nodeSet, online. ARGV: field, member, userId. Returns 1 when the user is now offline. */
export const DISCONNECT = `
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[3])
  return 1
end
return 0
`;

/** KEYS: alive, nodes. ARGV: node, ttlMs. Returns 1 when the node was not registered (reaped, or Redis lost its data). */
export const HEARTBEAT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[2], ARGV[1])
`;

// Shared by REAP and SYNC: drop one "<userId>|<connId>" member of node ARGV[1]; returns the user id if
// that was their last connection anywhere.
const DROP_MEMBER = `
local function drop(prefix, node, member, online)
  local sep = string.find(member, '|', 1, true)
  local user = string.sub(member, 1, sep - 1)
  local userHash = prefix .. ':presence:user:' .. user
  redis.call('HDEL', userHash, node .. '|' .. string.sub(member, sep + 1))
  if redis.call('HLEN', userHash) == 0 and redis.call('SREM', online, user) == 1 then return user end
  return nil
end
`;

/**
 * KEYS: alive, nodeSet, nodes, online. ARGV: node, prefix. If the node's heartbeat has expired, removes
 * its connections and returns the users who are now offline everywhere (to exactly one caller).
 */
export const REAP = `${DROP_MEMBER}
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
local gone = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local user = drop(ARGV[2], ARGV[1], member, KEYS[4])
  if user then table.insert(gone, user) end
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return gone
`;

/**
 * KEYS: nodeSet, nodes, online, alive. ARGV: node, prefix, ttlMs, then userId, connId pairs. Makes the
 * node's registered connections exactly the given ones (after an outage in which Redis lost them or
 * calls failed) and renews its heartbeat.
 */
export const SYNC = `${DROP_MEMBER}
redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
local want = {}
for i = 4, #ARGV, 2 do want[ARGV[i] .. '|' .. ARGV[i + 1]] = true end
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not want[member] then
    redis.call('SREM', KEYS[1], member)
    drop(ARGV[2], ARGV[1], member, KEYS[3])
  end
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', ARGV[2] .. ':presence:user:' .. ARGV[i], ARGV[1] .. '|' .. ARGV[i + 1], '1')
  redis.call('SADD', KEYS[1], ARGV[i] .. '|' .. ARGV[i + 1])
  redis.call('SADD', KEYS[3], ARGV[i])
end
return 1
`;
