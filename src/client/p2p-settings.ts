/**
 * This device's peer-to-peer settings, kept in `peer-settings.json` in the config folder (they are
 * about this machine and its network, so they stay on it): for now `addresses`, to whom the device
 * reveals its network addresses (src/peer/addresses.ts). `PARLEY_P2P_ADDRESSES` overrides the file.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ADDRESS_MODES, DEFAULT_ADDRESS_MODE, type AddressMode } from "../peer/addresses.js";

export const SETTINGS_FILE = "peer-settings.json";

const settingsSchema = z.object({ version: z.literal(1), addresses: z.enum(ADDRESS_MODES) });
export type PeerSettings = z.infer<typeof settingsSchema>;

export class P2pSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "P2pSettingsError";
  }
}

export function parseAddressMode(value: string, what = "p2p.addresses"): AddressMode {
  const mode = ADDRESS_MODES.find((m) => m === value.trim().toLowerCase());
  if (!mode) throw new P2pSettingsError(`${what} is one of ${ADDRESS_MODES.join(", ")}, not "${value}"`);
  return mode;
}

/** The settings in `dir` (defaults when there is no file); a corrupt file is a clear error, never ignored. */
export async function readPeerSettings(
  dir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<PeerSettings> {
  let settings: PeerSettings = { version: 1, addresses: DEFAULT_ADDRESS_MODE };
  const path = join(dir, SETTINGS_FILE);
  try {
    settings = settingsSchema.parse(JSON.parse(await readFile(path, "utf8")));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new P2pSettingsError(`${path} is unreadable (${(err as Error).message}); fix or remove it`);
  }
  const fromEnv = env.PARLEY_P2P_ADDRESSES;
  if (fromEnv) settings = { ...settings, addresses: parseAddressMode(fromEnv, "PARLEY_P2P_ADDRESSES") };
  return settings;
}

export async function writePeerSettings(dir: string, settings: PeerSettings): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, SETTINGS_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
