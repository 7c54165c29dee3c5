/**
 * Keys of contacts seen before, like ssh's known_hosts: the first key seen for a username is trusted
 * (trust on first use); a different key later is reported as `changed` with both fingerprints, and is
 * not recorded until the user confirms it with `trust` after comparing safety numbers out of band.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { asError, PeerError } from "./errors.js";
import { keyFingerprint } from "./fingerprint.js";

export const CONTACTS_FILE = "peer-contacts.json";

const fileSchema = z.object({
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
type ContactsFile = z.infer<typeof fileSchema>;

export type KeyCheck =
  | { status: "new"; fingerprint: string }
  | { status: "known"; fingerprint: string; verified: boolean }
  | { status: "changed"; fingerprint: string; previousFingerprint: string };

export class KnownContacts {
  private constructor(
    private readonly path: string,
    private data: ContactsFile,
    private readonly now: () => number,
  ) {}

  static async open(dir: string, now: () => number = Date.now): Promise<KnownContacts> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, CONTACTS_FILE);
    let data: ContactsFile = { version: 1, contacts: {} };
    try {
      data = fileSchema.parse(JSON.parse(await readFile(path, "utf8")));
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

  /** Compares `key` with what we know of `username`. A new contact is remembered at once (TOFU). */
  async check(username: string, key: string): Promise<KeyCheck> {
    const name = username.toLowerCase();
    const known = this.data.contacts[name];
    const fingerprint = keyFingerprint(key);
    if (!known) {
      await this.trust(username, key, false);
      return { status: "new", fingerprint };
    }
    if (known.key !== key)
      return { status: "changed", fingerprint, previousFingerprint: keyFingerprint(known.key) };
    known.lastSeen = this.now();
    await this.save();
    return { status: "known", fingerprint, verified: known.verified ?? false };
  }

  /** Records `key` as `username`'s key (after the user accepted a change, or verified it). */
  async trust(username: string, key: string, verified = true): Promise<void> {
    const name = username.toLowerCase();
    const now = this.now();
    const previous = this.data.contacts[name];
    const firstSeen = previous && previous.key === key ? previous.firstSeen : now;
    this.data.contacts[name] = { key, firstSeen, lastSeen: now, verified };
    await this.save();
  }

  keyOf(username: string): string | undefined {
    return this.data.contacts[username.toLowerCase()]?.key;
  }

  private async save(): Promise<void> {
    // Write-then-rename so a crash never leaves half a file.
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
