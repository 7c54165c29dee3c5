/**
 * Trust in other users' devices (src/peer/contacts.ts), without a hub: a master key signs devices, a
 * contact verified once trusts the devices that key signed, and anything else is a change — blocking
 * for a verified contact. Also the master key on disk: export, import, and the safety material.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONTACTS_FILE, KnownContacts, type PresentedDevice } from "../../src/peer/contacts.js";
import { deviceWith, devicePublicKeys, type DeviceIdentity } from "../../src/peer/device.js";
import { keyFingerprint, safetyMaterial, safetyNumber } from "../../src/peer/fingerprint.js";
import { ephemeralIdentity } from "../../src/peer/identity.js";
import {
  createMasterKey,
  exportMasterKey,
  findMasterKey,
  importMasterKey,
  signDevice,
  type MasterKey,
} from "../../src/peer/master.js";
import { deviceIdOf } from "../../src/peer/device-signature.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "parley-trust-"));
  dirs.push(dir);
  return dir;
}

/** A device as the hub would present it, signed by `master` when given. */
function present(
  device: DeviceIdentity,
  master?: MasterKey,
  signer: MasterKey | undefined = master,
): PresentedDevice {
  const keys = devicePublicKeys(device);
  return {
    key: keys.key,
    signKey: keys.signKey,
    encKey: keys.encKey,
    ...(signer ? { signature: signDevice(signer, keys) } : {}),
    ...(master ? { master: master.publicKey } : {}),
  };
}

describe("trust in a contact's devices", () => {
  it("a contact verified once trusts their new devices that their master key signed, without a warning", async () => {
    const dir = await tempDir();
    const contacts = await KnownContacts.open(dir);
    const master = await createMasterKey(await tempDir());
    const laptop = await deviceWith();
    const phone = await deviceWith();

    expect(await contacts.check("bob", present(laptop, master))).toMatchObject({
      trust: "unverified",
      signed: true,
      firstContact: true,
    });
    await contacts.verify("bob", present(laptop, master));
    expect(contacts.isVerified("bob")).toBe(true);
    // bob's new phone, signed by the same master key: verified at once.
    expect(await contacts.check("bob", present(phone, master))).toMatchObject({
      trust: "verified",
      signed: true,
      blocked: false,
    });
  });

  it("a device the hub adds without the user's signature is a blocking change for a verified contact", async () => {
    const contacts = await KnownContacts.open(await tempDir());
    const master = await createMasterKey(await tempDir());
    const laptop = await deviceWith();
    await contacts.check("bob", present(laptop, master));
    await contacts.verify("bob", present(laptop, master));

    const planted = await deviceWith();
    const unsigned = await contacts.check("bob", present(planted));
    expect(unsigned).toMatchObject({
      trust: "changed",
      signed: false,
      blocked: true,
      previousFingerprint: keyFingerprint(laptop.identity.publicKey),
    });
    // A master key of the hub's own making does not help: it is not the pinned one.
    const forged = await createMasterKey(await tempDir());
    expect(await contacts.check("bob", present(planted, forged))).toMatchObject({
      trust: "changed",
      blocked: true,
    });
    // Nor does a signature of the real key's public part claimed for another device.
    const stolen = { ...present(planted, master), signature: present(laptop, master).signature };
    expect(await contacts.check("bob", stolen)).toMatchObject({ trust: "changed", signed: false });
    // Accepting it the TOFU way is refused; verifying it (after comparing numbers) is the way.
    await expect(contacts.trust("bob", present(planted))).rejects.toMatchObject({ code: "KEY_MISMATCH" });
    await contacts.verify("bob", present(planted));
    expect(contacts.assess("bob", present(planted)).trust).toBe("verified");
  });

  it("for a contact never verified, a change warns and can be accepted; new signed devices pass quietly", async () => {
    const contacts = await KnownContacts.open(await tempDir());
    const master = await createMasterKey(await tempDir());
    const a = await deviceWith();
    const b = await deviceWith();
    await contacts.check("carol", present(a, master));
    expect(await contacts.check("carol", present(b, master))).toMatchObject({ trust: "unverified" });
    const other = await createMasterKey(await tempDir());
    const c = await deviceWith();
    const changed = await contacts.check("carol", present(c, other));
    expect(changed).toMatchObject({
      trust: "changed",
      blocked: false,
      previousFingerprint: keyFingerprint(b.identity.publicKey),
    });
    await contacts.trust("carol", present(c, other));
    // The accepted device's master key is pinned now, and the old one's devices are the changed ones.
    expect(contacts.masterOf("carol")).toBe(other.publicKey);
    expect(contacts.assess("carol", present(await deviceWith(), other)).trust).toBe("unverified");
  });

  it("computes the device id from the key, whatever the hub calls it", async () => {
    const contacts = await KnownContacts.open(await tempDir());
    const a = await deviceWith();
    const check = await contacts.check("dan", { ...present(a), id: "0000000000000000" } as PresentedDevice);
    expect(check.device).toBe(deviceIdOf(a.identity.publicKey));
  });

  it("reads a version 1 contacts file (one key per user) and keeps its pins", async () => {
    const dir = await tempDir();
    const k = (await ephemeralIdentity()).publicKey;
    await writeFile(
      join(dir, CONTACTS_FILE),
      JSON.stringify({
        version: 1,
        contacts: { erin: { key: k, firstSeen: 1, lastSeen: 2, verified: true } },
      }),
    );
    const contacts = await KnownContacts.open(dir);
    expect(contacts.assess("erin", { key: k })).toMatchObject({ trust: "verified", firstContact: false });
    expect(contacts.assess("erin", { key: (await ephemeralIdentity()).publicKey })).toMatchObject({
      trust: "changed",
      blocked: true,
      previousFingerprint: keyFingerprint(k),
    });
  });
});

describe("master key on disk", () => {
  it("is found by its public key, exported encrypted, and imported with the passphrase only", async () => {
    const first = await tempDir();
    const master = await createMasterKey(first);
    expect((await findMasterKey(first, master.publicKey))?.privateKeyPem).toBe(master.privateKeyPem);
    const exported = exportMasterKey(master, "a long passphrase");
    expect(exported).toContain("ENCRYPTED PRIVATE KEY");
    expect(exported).not.toContain(master.privateKeyPem.split("\n")[1]);
    const second = await tempDir();
    await expect(importMasterKey(second, exported, "wrong passphrase")).rejects.toMatchObject({
      code: "IDENTITY_FILE",
    });
    const imported = await importMasterKey(second, exported, "a long passphrase");
    expect(imported.publicKey).toBe(master.publicKey);
    expect(await findMasterKey(second, master.publicKey)).toBeDefined();
    expect(await findMasterKey(second, (await createMasterKey(await tempDir())).publicKey)).toBeUndefined();
    expect(() => exportMasterKey(master, "short")).toThrow(/at least 8/);
  });

  it("a safety number covers the master key that signed a device", async () => {
    const a = await deviceWith();
    const b = await deviceWith();
    const m = await createMasterKey(await tempDir());
    const n = await createMasterKey(await tempDir());
    const with_ = (master?: MasterKey) =>
      safetyNumber(
        { username: "alice", key: a.identity.publicKey },
        { username: "bob", key: safetyMaterial(b.identity.publicKey, master?.publicKey) },
      );
    expect(with_(m)).not.toBe(with_(n));
    expect(with_(m)).not.toBe(with_());
    expect(safetyMaterial(a.identity.publicKey)).toBe(a.identity.publicKey);
  });
});
