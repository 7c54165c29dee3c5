/**
 * Which addresses a device gives to whom, and which addresses it is willing to dial.
 *
 * Giving: a direct chat reveals the acceptor's addresses to the requester (in the answer) and the
 * requester's to the acceptor (the source of its dial). `p2p.addresses` says to whom: nobody
 * (`relay-only`), verified contacts (`verified`, the default), contacts seen before (`contacts`), or
 * anyone whose request is accepted (`all`). Everyone else gets the relay, where the hub sees only
 * ciphertext and the peer only the hub.
 *
 * Dialing: the endpoints come from the hub, which may lie — and could use clients to send TLS hellos
 * wherever it likes. So a client dials at most 16 addresses per attempt, and never a multicast,
 * broadcast or unspecified address, nor a link-local one unless its own network is link-local (see
 * `ownNetworkIsLinkLocal`). Host names are resolved first and their addresses checked the same way.
 */
import { BlockList, isIP } from "node:net";
import { lookup } from "node:dns/promises";
import { networkInterfaces } from "node:os";
import { MAX_PEER_ENDPOINTS } from "../protocol/limits.js";
import type { Endpoint } from "../protocol/model.js";

export const ADDRESS_MODES = ["relay-only", "verified", "contacts", "all"] as const;
export type AddressMode = (typeof ADDRESS_MODES)[number];
export const DEFAULT_ADDRESS_MODE: AddressMode = "verified";

/** What we know of the other side when deciding whether it may learn where we are. */
export interface PeerStanding {
  /** Its device is verified (by us, or signed by a master key we verified). */
  verified: boolean;
  /** Seen before and not changed since (a known contact). */
  known: boolean;
}

/** Whether a chat with a peer of this standing may go directly (which shows each side the other's address). */
export function revealsAddress(mode: AddressMode, peer: PeerStanding): boolean {
  switch (mode) {
    case "relay-only":
      return false;
    case "verified":
      return peer.verified;
    case "contacts":
      return peer.verified || peer.known;
    case "all":
      return true;
  }
}

const never = new BlockList();
never.addSubnet("0.0.0.0", 8, "ipv4"); // "this network", the unspecified address among them
never.addSubnet("224.0.0.0", 4, "ipv4"); // multicast
never.addAddress("255.255.255.255", "ipv4"); // limited broadcast
never.addSubnet("240.0.0.0", 4, "ipv4"); // reserved
never.addAddress("::", "ipv6"); // unspecified
never.addSubnet("ff00::", 8, "ipv6"); // multicast

const linkLocal = new BlockList();
linkLocal.addSubnet("169.254.0.0", 16, "ipv4");
linkLocal.addSubnet("fe80::", 10, "ipv6");

export type Refusal =
  "multicast, broadcast or unspecified" | "link-local" | "over the limit" | "unresolvable";

export interface DialPlan {
  /** What to dial, in the order given, at most `max`. */
  targets: Endpoint[];
  refused: Array<{ endpoint: Endpoint; reason: Refusal }>;
}

export interface DialPolicy {
  /** At most this many addresses per attempt (default 16). */
  max?: number;
  /** Dial link-local addresses (default: when this machine's own IPv4 network is link-local). */
  allowLinkLocal?: boolean;
  /** Directed broadcast addresses of this machine's networks (default: from its interfaces). */
  broadcasts?: ReadonlySet<string>;
  /** Resolves a host name to addresses (default: the system resolver). */
  resolve?: (host: string) => Promise<string[]>;
}

/** IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are checked as the IPv4 address they are. */
function unmapped(address: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: "ipv4" };
  return { address, family: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

/** Why an IP address must not be dialled, or undefined when it may be. */
export function refusalOf(
  ip: string,
  policy: Pick<DialPolicy, "allowLinkLocal" | "broadcasts"> = {},
): Refusal | undefined {
  const { address, family } = unmapped(ip);
  if (never.check(address, family)) return "multicast, broadcast or unspecified";
  if ((policy.broadcasts ?? localBroadcasts()).has(address)) return "multicast, broadcast or unspecified";
  if (linkLocal.check(address, family) && !(policy.allowLinkLocal ?? ownNetworkIsLinkLocal()))
    return "link-local";
  return undefined;
}

/** The directed broadcast address of each IPv4 network this machine is on (e.g. 192.168.1.255). */
export function localBroadcasts(): Set<string> {
  const out = new Set<string>();
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.family !== "IPv4") continue;
      const ip = info.address.split(".").map(Number);
      const mask = info.netmask.split(".").map(Number);
      if (mask.every((m) => m === 255)) continue; // a /32 has no broadcast address
      out.add(ip.map((octet, i) => (octet | (~(mask[i] ?? 0) & 255)) & 255).join("."));
    }
  }
  return out;
}

/**
 * True when this machine has a link-local IPv4 address on a real interface: it is on a network
 * without DHCP (a cable between two laptops, say), where peers can only be reached that way. Otherwise
 * link-local addresses are refused — in clouds they reach the provider's metadata service.
 */
export function ownNetworkIsLinkLocal(): boolean {
  for (const infos of Object.values(networkInterfaces()))
    for (const info of infos ?? [])
      if (!info.internal && info.family === "IPv4" && linkLocal.check(info.address, "ipv4")) return true;
  return false;
}

async function systemResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/**
 * The endpoints a direct dial may try: checked, host names resolved (and their addresses checked),
 * duplicates dropped, at most `max` (16). The rest are refused with a reason, for the caller to report.
 */
export async function dialPlan(endpoints: readonly Endpoint[], policy: DialPolicy = {}): Promise<DialPlan> {
  const max = policy.max ?? MAX_PEER_ENDPOINTS;
  const checks = {
    allowLinkLocal: policy.allowLinkLocal ?? ownNetworkIsLinkLocal(),
    broadcasts: policy.broadcasts ?? localBroadcasts(),
  };
  const resolve = policy.resolve ?? systemResolve;
  const plan: DialPlan = { targets: [], refused: [] };
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    if (plan.targets.length >= max) {
      plan.refused.push({ endpoint, reason: "over the limit" });
      continue;
    }
    let addresses: string[];
    if (isIP(endpoint.host)) addresses = [endpoint.host];
    else {
      try {
        addresses = await resolve(endpoint.host);
      } catch {
        addresses = [];
      }
      if (addresses.length === 0) plan.refused.push({ endpoint, reason: "unresolvable" });
    }
    for (const host of addresses) {
      const target = { host, port: endpoint.port };
      const reason = refusalOf(host, checks);
      if (reason) plan.refused.push({ endpoint: target, reason });
      else if (plan.targets.length >= max) plan.refused.push({ endpoint: target, reason: "over the limit" });
      else if (!seen.has(`${host}|${endpoint.port}`)) {
        seen.add(`${host}|${endpoint.port}`);
        plan.targets.push(target);
      }
    }
  }
  return plan;
}

/**
 * The local addresses a listener binds and announces by default: each non-internal IPv4 address, and
 * each global IPv6 one (link-local ones need a zone id no endpoint carries); loopback when there is
 * nothing else, so a test machine without a network still works.
 */
export function listenAddresses(): string[] {
  const out: string[] = [];
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      if (info.family === "IPv6" && (info.scopeid || linkLocal.check(info.address, "ipv6"))) continue;
      if (refusalOf(info.address, { allowLinkLocal: true, broadcasts: new Set() })) continue;
      out.push(info.address);
    }
  }
  return out.length > 0 ? out : ["127.0.0.1"];
}
