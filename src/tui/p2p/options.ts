/**
 * Peer-to-peer settings of `parley chat`, from the environment (they are about this machine's network,
 * not the account): where the listener binds, and what to announce instead of its own addresses.
 *
 * - `PARLEY_P2P_LISTEN=HOST[:PORT]` — bind the listener there (default all interfaces, a free port);
 * - `PARLEY_P2P_ANNOUNCE=HOST:PORT[,HOST:PORT…]` — announce these (a port forward on a router);
 * - `PARLEY_P2P=off` — no listener: others' requests still work, through the relay.
 */
import type { PeerChatsOptions } from "../../client/index.js";
import type { Endpoint } from "../../protocol/index.js";

export class P2pSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "P2pSettingError";
  }
}

function endpoint(text: string, what: string, portRequired: boolean): { host: string; port?: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(text.trim());
  const host = m?.[1];
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!host || (port !== undefined && (port < 0 || port > 65_535)) || (portRequired && port === undefined)) {
    throw new P2pSettingError(`${what}: "${text}" is not HOST${portRequired ? ":PORT" : "[:PORT]"}`);
  }
  return port === undefined ? { host } : { host, port };
}

export function p2pOptionsFromEnv(
  configDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PeerChatsOptions {
  const options: PeerChatsOptions = { configDir };
  if (env.PARLEY_P2P === "off") options.listen = false;
  else if (env.PARLEY_P2P_LISTEN) {
    const { host, port } = endpoint(env.PARLEY_P2P_LISTEN, "PARLEY_P2P_LISTEN", false);
    options.listen = port === undefined ? { host } : { host, port };
  }
  if (env.PARLEY_P2P_ANNOUNCE) {
    options.announce = env.PARLEY_P2P_ANNOUNCE.split(",").map(
      (part) => endpoint(part, "PARLEY_P2P_ANNOUNCE", true) as Endpoint,
    );
  }
  return options;
}
