/**
 * What this device knows of other users' keys, like ssh's known_hosts but per device and with
 * verification (docs/p2p.md, "Trust"). Per contact it pins the devices seen and the master key that
 * signs them:
 *
 * - First contact: the devices and master key the hub presents are remembered (trust on first use)
 *   and shown `unverified` — the hub could have lied, and only comparing safety numbers tells.
 * - `verify` (after the user compared the safety number out of band) marks a device verified and pins
 *   its master key as verified: from then on the user's other devices that this master key signed are
 *   verified too, without a warning.
 * - A device covered by nothing pinned — unsigned, or signed by another master key — is `changed`
 *   (shown "KEY CHANGED"). For a contact never verified, the user may accept it (`trust`, as before);
 *   for a verified one it is **blocked**: no direct chat until the user verifies again.
 *
 * A device is always identified by the id computed here from its key, never by what the hub says.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { deviceIdOf, deviceSignedBy } from "./device-signature.js";
import { asError, PeerError } from "./errors.js";
import { keyFingerprint } from "./fingerprint.js";

export const CONTACTS_FILE = "peer-contacts.json";

const deviceEntry = z.object({
  key: z.string(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  verified: z.boolean(),
});
const contactEntry = z.object({
  master: z.object({ key: z.string(), firstSeen: z.number(), verified: z.boolean() }).optional(),
  devices: z.record(z.string(), deviceEntry),
});
const fileV2 = z.object({ version: z.literal(2), contacts: z.record(z.string(), contactEntry) });
// Version 1 pinned one key per user.
const fileV1 = z.object({
  version: z.literal(1),
  contacts: z.record(
    z.string(),
    z.object({
      key: z.string(),
      firstSeen: z.number(),
      lastSeen: z.number(),
      verified: z.boolean().optional(),
    }),
  ),
});
type ContactsFile = z.infer<typeof fileV2>;
type ContactEntry = z.infer<typeof contactEntry>;

export type Trust = "verified" | "unverified" | "changed";

/** A device as the hub presented it, with the master key it says signs the user's devices. */
export interface PresentedDevice {
  key: string;
  signKey?: string | undefined;
  encKey?: string | undefined;
  signature?: string | undefined;
  /** The user's master key, as the hub gave it. */
  master?: string | undefined;
}

export interface TrustCheck {
  trust: Trust;
  /** The device id, computed from its key. */
  device: string;
  fingerprint: string;
  /** The device carries a valid signature of the master key presented with it. */
  signed: boolean;
  /** Nothing was known of this user before. */
  firstContact: boolean;
  /** `changed` for a contact that was verified: no chat until verified again. */
  blocked: boolean;
  /** With `changed`: the fingerprint of the device of theirs seen last (what "was" there). */
  previousFingerprint?: string;
}

export class KnownContacts {
  private saving: Promise<void> = Promise.resolve();
  private constructor(
    private readonly path: string,
    private data: ContactsFile,
    private readonly now: () => number,
  ) {}

  static async open(dir: string, now: () => number = Date.now): Promise<KnownContacts> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, CONTACTS_FILE);
    let data: ContactsFile = { version: 2, contacts: {} };
    try {
      const raw: unknown = JSON.parse(await readFile(path, "utf8"));
      const v1 = fileV1.safeParse(raw);
      data = v1.success ? upgrade(v1.data) : fileV2.parse(raw);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new PeerError(
          "IDENTITY_FILE",
          `known contacts file ${path} is unreadable (${asError(err).message}); fix or remove it`,
          { cause: err },
        );
      }
    }
    return new KnownContacts(path, data, now);
  }

  /** How `device` of `username` stands, without remembering anything. */
  assess(username: string, device: PresentedDevice): TrustCheck {
    const contact = this.data.contacts[username.toLowerCase()];
    const id = deviceIdOf(device.key);
    const fingerprint = keyFingerprint(device.key);
    const signed =
      device.master !== undefined && deviceSignedBy(device.master, { id, ...device }, device.signature);
    const base = { device: id, fingerprint, signed };
    if (!contact) return { ...base, trust: "unverified", firstContact: true, blocked: false };
    const known = contact.devices[id];
    const master = contact.master;
    const underPinnedMaster = signed && master !== undefined && master.key === device.master;
    if (known && known.key === device.key) {
      const trust = known.verified || (underPinnedMaster && master.verified) ? "verified" : "unverified";
      return { ...base, trust, firstContact: false, blocked: false };
    }
    if (underPinnedMaster) {
      return {
        ...base,
        trust: master.verified ? "verified" : "unverified",
        firstContact: false,
        blocked: false,
      };
    }
    return {
      ...base,
      trust: "changed",
      firstContact: false,
      blocked: isVerified(contact),
      previousFingerprint: keyFingerprint(latestDevice(contact)?.key ?? master?.key ?? device.key),
    };
  }

  /**
   * `assess`, and remembers what trust on first use takes: everything of a first contact, and a new
   * device signed by the pinned master key. Nothing is remembered of a `changed` device.
   */
  async check(username: string, device: PresentedDevice): Promise<TrustCheck> {
    const result = this.assess(username, device);
    if (result.trust === "changed") return result;
    await this.remember(username.toLowerCase(), device, result, false);
    return result;
  }

  /**
   * Accepts a changed device of a contact never verified (the user was warned). Refuses for a verified
   * contact: that takes `verify`, after comparing the safety number.
   */
  async trust(username: string, device: PresentedDevice): Promise<void> {
    const result = this.assess(username, device);
    if (result.blocked)
      throw new PeerError(
        "KEY_MISMATCH",
        `${username} was verified and this device is not: compare the safety number and verify it instead`,
      );
    await this.remember(username.toLowerCase(), device, result, false, true);
  }

  /** Marks the device verified (the user compared the safety number), and its master key if it is signed. */
  async verify(username: string, device: PresentedDevice): Promise<TrustCheck> {
    const result = this.assess(username, device);
    await this.remember(username.toLowerCase(), device, result, true, true);
    return this.assess(username, device);
  }

  /** Whether the user has any verified device or master key here. */
  isVerified(username: string): boolean {
    const contact = this.data.contacts[username.toLowerCase()];
    return contact !== undefined && isVerified(contact);
  }

  /** The pinned master key of a user, if any. */
  masterOf(username: string): string | undefined {
    return this.data.contacts[username.toLowerCase()]?.master?.key;
  }

  private async remember(
    name: string,
    device: PresentedDevice,
    result: TrustCheck,
    verified: boolean,
    replaceMaster = false,
  ): Promise<void> {
    const now = this.now();
    const contact: ContactEntry = this.data.contacts[name] ?? { devices: {} };
    const previous = contact.devices[result.device];
    const same = previous !== undefined && previous.key === device.key;
    contact.devices[result.device] = {
      key: device.key,
      firstSeen: same ? previous.firstSeen : now,
      lastSeen: now,
      verified: verified || (same && previous.verified),
    };
    if (result.signed && device.master !== undefined) {
      const pinned = contact.master;
      // A different master key replaces the pinned one only when the user said so (trust, verify).
      if (!pinned || (pinned.key !== device.master && replaceMaster)) {
        contact.master = { key: device.master, firstSeen: now, verified };
      } else if (pinned.key === device.master && verified) pinned.verified = true;
    }
    this.data.contacts[name] = contact;
    await this.save();
  }

  private async save(): Promise<void> {
    // One write at a time (checks run concurrently: direct chats and e2e rooms share this store), each
    // of the data as it is when its turn comes; write-then-rename so a crash never leaves half a file.
    const write = async (): Promise<void> => {
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
      await rename(tmp, this.path);
    };
    const done = this.saving.then(write, write);
    this.saving = done.catch(() => {});
    return done;
  }
}

function isVerified(contact: ContactEntry): boolean {
  return contact.master?.verified === true || Object.values(contact.devices).some((d) => d.verified);
}

function latestDevice(contact: ContactEntry): { key: string } | undefined {
  let best: { key: string; lastSeen: number } | undefined;
  for (const d of Object.values(contact.devices)) if (!best || d.lastSeen >= best.lastSeen) best = d;
  return best;
}

function upgrade(v1: z.infer<typeof fileV1>): ContactsFile {
  const contacts: ContactsFile["contacts"] = {};
  for (const [name, c] of Object.entries(v1.contacts)) {
    contacts[name] = {
      devices: {
        [deviceIdOf(c.key)]: {
          key: c.key,
          firstSeen: c.firstSeen,
          lastSeen: c.lastSeen,
          verified: c.verified ?? false,
        },
      },
    };
  }
  return { version: 2, contacts };
}
