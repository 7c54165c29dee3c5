/**
 * Trust on first use for hub certificates, like SSH's known_hosts. Hubs run with self-signed
 * certificates, so the CA chain proves nothing; instead the first certificate seen for a host:port is
 * pinned by its SHA-256 fingerprint and every later connection must present the same one.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import tls from "node:tls";
import { isIP } from "node:net";
import envPaths from "env-paths";
import { parseHubUrl, type HubAddress } from "./core/address.js";
import {
  HubFingerprintChangedError,
  HubFingerprintMismatchError,
  HubUnreachableError,
  KnownHubsFileError,
} from "./core/errors.js";

export { parseHubUrl, type HubAddress };

const FILE_NAME = "known-hubs.json";
const FINGERPRINT_RE = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** The user's Parley config folder: $PARLEY_CONFIG_DIR, else the OS convention (env-paths). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.PARLEY_CONFIG_DIR;
  if (override !== undefined && override !== "") return override;
  return envPaths("parley", { suffix: "" }).config;
}

export function knownHubsPath(dir: string = configDir()): string {
  return join(dir, FILE_NAME);
}

/** SHA-256 of a DER certificate, uppercase hex pairs joined by colons (the form the hub prints). */
export function fingerprintOf(der: Buffer): string {
  const hex = createHash("sha256").update(der).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

/** Accepts fingerprints typed with lower case, spaces or no colons; returns the canonical form or null. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replace(/[\s:]/g, "").toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)!.join(":");
}

/** The command that accepts a hub's new certificate. */
export function trustCommand(url: string): string {
  const address = parseHubUrl(url);
  return `parley trust wss://${address.hostPort}`;
}

interface KnownHubEntry {
  fingerprint: string;
  addedAt: string;
}

interface KnownHubsFile {
  version: 1;
  hubs: Record<string, KnownHubEntry>;
}

/** The known-hubs file: host:port → pinned fingerprint. Read on every use, written atomically. */
export class KnownHubs {
  constructor(readonly path: string = knownHubsPath()) {}

  private read(): KnownHubsFile {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, hubs: {} };
      throw new KnownHubsFileError(this.path, (error as Error).message);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new KnownHubsFileError(this.path, "not valid JSON; fix or delete it");
    }
    const hubs = (data as { hubs?: unknown } | null)?.hubs;
    if (typeof hubs !== "object" || hubs === null || Array.isArray(hubs)) {
      throw new KnownHubsFileError(this.path, 'expected {"version": 1, "hubs": {…}}');
    }
    const result: Record<string, KnownHubEntry> = {};
    for (const [hostPort, entry] of Object.entries(hubs as Record<string, unknown>)) {
      const fingerprint = (entry as { fingerprint?: unknown } | null)?.fingerprint;
      if (typeof fingerprint !== "string" || !FINGERPRINT_RE.test(fingerprint)) {
        throw new KnownHubsFileError(this.path, `entry ${hostPort} has no valid fingerprint`);
      }
      const addedAt = (entry as { addedAt?: unknown }).addedAt;
      result[hostPort] = { fingerprint, addedAt: typeof addedAt === "string" ? addedAt : "" };
    }
    return { version: 1, hubs: result };
  }

  private write(file: KnownHubsFile): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // Write then rename, so a crash never leaves half a file (which would lock the user out).
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.path);
  }

  get(hostPort: string): string | undefined {
    return this.read().hubs[hostPort]?.fingerprint;
  }

  set(hostPort: string, fingerprint: string): void {
    const file = this.read();
    file.hubs[hostPort] = { fingerprint, addedAt: new Date().toISOString() };
    this.write(file);
  }

  list(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.read().hubs).map(([k, v]) => [k, v.fingerprint]));
  }
}

export type PinResult = "pinned" | "match";

/**
 * The pinning decision, in one place. `required` is a fingerprint the caller insists on (e.g. copied
 * from the hub's output); it wins over trust on first use and replaces nothing silently.
 * Throws HubFingerprintChangedError / HubFingerprintMismatchError; records a first-seen fingerprint.
 */
export function checkPin(
  knownHubs: KnownHubs,
  address: HubAddress,
  actual: string,
  required?: string,
): PinResult {
  if (required !== undefined) {
    const wanted = normalizeFingerprint(required);
    if (wanted !== actual) {
      throw new HubFingerprintMismatchError(address.hostPort, wanted ?? required, actual);
    }
  }
  const pinned = knownHubs.get(address.hostPort);
  if (pinned === undefined) {
    knownHubs.set(address.hostPort, actual);
    return "pinned";
  }
  if (pinned === actual) return "match";
  if (required !== undefined) {
    // The caller vouched for the new certificate explicitly: that is the same as `parley trust`.
    knownHubs.set(address.hostPort, actual);
    return "pinned";
  }
  throw new HubFingerprintChangedError(address.hostPort, pinned, actual, trustCommand(address.url));
}

/**
 * Opens a TLS connection and reads the certificate fingerprint once the handshake is done. No
 * application data has been written on the socket when this resolves.
 */
export function connectTls(
  address: HubAddress,
  timeoutMs: number,
): Promise<{ socket: tls.TLSSocket; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address.host,
      port: address.port,
      // SNI must not be an IP address.
      ...(isIP(address.host) === 0 ? { servername: address.host } : {}),
      // The CA chain of a self-signed certificate proves nothing; the pin below is the check.
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new HubUnreachableError(address.url, new Error(`TLS handshake timed out after ${timeoutMs} ms`)),
      );
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new HubUnreachableError(address.url, error));
    };
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      const raw = socket.getPeerCertificate(false)?.raw;
      if (!raw || raw.length === 0) {
        socket.destroy();
        reject(new HubUnreachableError(address.url, new Error("the hub presented no certificate")));
        return;
      }
      resolve({ socket, fingerprint: fingerprintOf(raw) });
    });
  });
}

export interface TrustResult {
  hostPort: string;
  fingerprint: string;
  /** The fingerprint that was pinned before, if any and different. */
  previous?: string;
}

/**
 * `parley trust wss://host:port`: connects, reads the hub's current certificate and pins it,
 * replacing an older pin. With `fingerprint`, refuses unless the hub presents exactly that one.
 */
export async function trustHub(
  url: string,
  opts: { configDir?: string; fingerprint?: string; timeoutMs?: number } = {},
): Promise<TrustResult> {
  const address = parseHubUrl(url);
  if (!address.secure) throw new TypeError(`${url} is not a TLS (wss://) hub; there is nothing to trust`);
  const { socket, fingerprint } = await connectTls(address, opts.timeoutMs ?? 10_000);
  socket.destroy();
  if (opts.fingerprint !== undefined && normalizeFingerprint(opts.fingerprint) !== fingerprint) {
    throw new HubFingerprintMismatchError(address.hostPort, opts.fingerprint, fingerprint);
  }
  const knownHubs = new KnownHubs(knownHubsPath(opts.configDir ?? configDir()));
  const previous = knownHubs.get(address.hostPort);
  knownHubs.set(address.hostPort, fingerprint);
  return {
    hostPort: address.hostPort,
    fingerprint,
    ...(previous !== undefined && previous !== fingerprint ? { previous } : {}),
  };
}
