/**
 * Dialing a peer directly: every endpoint the hub gave at once (those the dial policy allows, at most
 * 16: addresses.ts), the first authenticated one wins.
 */
import type { Endpoint } from "../protocol/model.js";
import { dialPlan, type DialPolicy } from "./addresses.js";
import { PeerError, PeerKeyMismatchError } from "./errors.js";
import { clientHandshake, type SecureChannel } from "./handshake.js";
import type { Identity } from "./identity.js";

/** How long to try the direct path before falling back to the relay (PROTOCOL.md). */
export const DIRECT_TIMEOUT_MS = 5_000;

export interface DialOptions {
  identity: Identity;
  expectedKey: string;
  endpoints: readonly Endpoint[];
  timeoutMs?: number;
  /** Which addresses may be dialled, and how many (default: the safe policy of addresses.ts). */
  policy?: DialPolicy;
}

/**
 * Resolves with the first endpoint that completes the handshake as `expectedKey`. Rejects when none
 * does within the timeout — with a `PeerKeyMismatchError` if any endpoint presented a wrong key (that
 * must reach the user, never be hidden behind "unreachable"), else `UNREACHABLE`.
 */
export async function dialDirect(options: DialOptions): Promise<SecureChannel> {
  if (options.endpoints.length === 0) throw new PeerError("UNREACHABLE", "the peer announced no endpoints");
  const plan = await dialPlan(options.endpoints, options.policy);
  const refused = plan.refused.map(
    ({ endpoint, reason }) => `${endpointLabel(endpoint)}: not dialled (${reason})`,
  );
  if (plan.targets.length === 0)
    throw new PeerError("UNREACHABLE", `no endpoint may be dialled (${refused.join("; ")})`);
  return dialTargets({ ...options, endpoints: plan.targets }, refused);
}

function dialTargets(options: DialOptions, refused: string[]): Promise<SecureChannel> {
  const timeoutMs = options.timeoutMs ?? DIRECT_TIMEOUT_MS;
  return new Promise<SecureChannel>((resolve, reject) => {
    let done = false;
    let failures = 0;
    let mismatch: PeerKeyMismatchError | undefined;
    const reasons: string[] = [...refused];
    const timer = setTimeout(() => finishFailed(`no endpoint answered within ${timeoutMs} ms`), timeoutMs);

    function finishFailed(summary: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(mismatch ?? new PeerError("UNREACHABLE", `${summary} (${reasons.join("; ") || "no answer"})`));
    }

    for (const endpoint of options.endpoints) {
      const where = endpointLabel(endpoint);
      clientHandshake(endpoint, {
        identity: options.identity,
        expectedKey: options.expectedKey,
        where,
        timeoutMs,
      }).then(
        (channel) => {
          if (done) {
            channel.socket.destroy();
            return;
          }
          done = true;
          clearTimeout(timer);
          resolve(channel);
        },
        (err: Error) => {
          if (err instanceof PeerKeyMismatchError) mismatch ??= err;
          reasons.push(`${where}: ${err.message}`);
          if (++failures === options.endpoints.length) finishFailed("no endpoint could be reached");
        },
      );
    }
  });
}

function endpointLabel({ host, port }: Endpoint): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
