/**
 * The address a connection counts as for per-address limits and logs. Behind a reverse proxy (nginx,
 * a load balancer) every connection comes from the proxy, so all clients would share one login and
 * registration budget, and one attacker could spend it for everyone. A proxy named in `trustProxy`
 * is believed about the client it forwards (`X-Forwarded-For`); nobody else is, so a client cannot
 * pick its own address by sending the header.
 */
import { isIP } from "node:net";

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is 127.0.0.1. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed.toLowerCase();
}

/** Parses the `trustProxy` setting (comma-separated, or a list from a config file) into addresses. */
export function trustedProxies(setting: string | readonly string[] | undefined): ReadonlySet<string> {
  const entries = typeof setting === "string" ? setting.split(",") : (setting ?? []);
  return new Set(entries.map(normalizeAddress).filter((a) => a.length > 0));
}

/**
 * The client's address: the TCP peer, unless that is a trusted proxy; then the right-most entry of
 * `X-Forwarded-For` that is not itself a trusted proxy (entries further left were written by the
 * client or an untrusted hop, and prove nothing). A malformed entry stops the walk at the last
 * trusted hop.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: ReadonlySet<string>,
): string {
  let address = peer === undefined ? "unknown" : normalizeAddress(peer);
  if (!trusted.has(address) || forwardedFor === undefined) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i] ?? "");
    if (isIP(hop) === 0) return address;
    address = hop;
    if (!trusted.has(address)) return address;
  }
  return address;
}
