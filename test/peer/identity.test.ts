/** The device identity on disk, known contacts and the human-comparable numbers. */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONTACTS_FILE, KnownContacts } from "../../src/peer/contacts.js";
import { deviceIdOf } from "../../src/peer/device-signature.js";
import { keyFingerprint, safetyNumber } from "../../src/peer/fingerprint.js";
import { ephemeralIdentity, IDENTITY_FILE, loadOrCreateIdentity } from "../../src/peer/identity.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "parley-peer-"));
  dirs.push(dir);
  return dir;
}

describe("identity", () => {
  it("is created on first run with mode 0600 and the same key afterwards", async () => {
    const dir = join(await tempDir(), "config");
    const first = await loadOrCreateIdentity(dir);
    expect(first.created).toBe(true);
    expect((await stat(join(dir, IDENTITY_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(Buffer.from(first.publicKey, "base64").length).toBe(91); // P-256 SPKI DER
    const again = await loadOrCreateIdentity(dir);
    expect(again.created).toBe(false);
    expect(again.publicKey).toBe(first.publicKey);
    expect(again.fingerprint).toBe(keyFingerprint(first.publicKey));
  });

  it("uses PARLEY_CONFIG_DIR by default", async () => {
    const dir = await tempDir();
    const saved = process.env.PARLEY_CONFIG_DIR;
    process.env.PARLEY_CONFIG_DIR = dir;
    try {
      await loadOrCreateIdentity();
      expect((await stat(join(dir, IDENTITY_FILE))).isFile()).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.PARLEY_CONFIG_DIR;
      else process.env.PARLEY_CONFIG_DIR = saved;
    }
  });

  it("tightens loosened permissions and refuses a corrupt key with a clear error", async () => {
    const dir = await tempDir();
    await loadOrCreateIdentity(dir);
    const file = join(dir, IDENTITY_FILE);
    await chmod(file, 0o644);
    await loadOrCreateIdentity(dir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFile(file, "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({
      code: "IDENTITY_FILE",
      message: expect.stringMatching(/not a valid EC private key/),
    });
  });
});

describe("known contacts", () => {
  it("trusts on first use, recognises the same key, flags a changed one until confirmed", async () => {
    const dir = await tempDir();
    const contacts = await KnownContacts.open(dir);
    const k1 = (await ephemeralIdentity()).publicKey;
    const k2 = (await ephemeralIdentity()).publicKey;
    expect(await contacts.check("Alice", { key: k1 })).toMatchObject({
      trust: "unverified",
      firstContact: true,
      fingerprint: keyFingerprint(k1),
    });
    expect(await contacts.check("alice", { key: k1 })).toMatchObject({
      trust: "unverified",
      firstContact: false,
    });
    expect(await contacts.check("alice", { key: k2 })).toMatchObject({
      trust: "changed",
      blocked: false,
      fingerprint: keyFingerprint(k2),
      previousFingerprint: keyFingerprint(k1),
    });
    // Still changed after a restart: nothing was recorded without the user's word.
    const reopened = await KnownContacts.open(dir);
    expect((await reopened.check("alice", { key: k2 })).trust).toBe("changed");
    await reopened.trust("alice", { key: k2 });
    expect(await reopened.check("alice", { key: k2 })).toMatchObject({ trust: "unverified" });
    expect((await stat(join(dir, CONTACTS_FILE))).mode & 0o777).toBe(0o600);
    const file = JSON.parse(await readFile(join(dir, CONTACTS_FILE), "utf8"));
    expect(file.contacts.alice.devices[deviceIdOf(k2)].key).toBe(k2);
  });

  it("refuses a damaged contacts file instead of silently forgetting every key", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, CONTACTS_FILE), "{ not json");
    await expect(KnownContacts.open(dir)).rejects.toMatchObject({ code: "IDENTITY_FILE" });
  });
});

describe("fingerprints and safety numbers", () => {
  it("a safety number is the same on both sides and changes with either key", async () => {
    const a = (await ephemeralIdentity()).publicKey;
    const b = (await ephemeralIdentity()).publicKey;
    const c = (await ephemeralIdentity()).publicKey;
    const ab = safetyNumber({ username: "alice", key: a }, { username: "bob", key: b });
    expect(ab).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(safetyNumber({ username: "bob", key: b }, { username: "alice", key: a })).toBe(ab);
    expect(safetyNumber({ username: "alice", key: a }, { username: "bob", key: c })).not.toBe(ab);
    expect(keyFingerprint(a)).toMatch(/^([0-9A-F]{4} ){15}[0-9A-F]{4}$/);
  });
});
