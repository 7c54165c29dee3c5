/**
 * A key per device, against a real hub: devices announce their own keys, a master key signs them (the
 * hub checks every signature at the boundary), a device can be revoked for good, and a direct-chat
 * request goes to one chosen device or to all of them (the first to accept takes it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { MAX_DEVICES_PER_USER } from "../../src/protocol/limits.js";
import { deviceSignedBy } from "../../src/peer/device-signature.js";
import { deviceWith, devicePublicKeys, type DeviceIdentity } from "../../src/peer/device.js";
import { signDevice, type MasterKey } from "../../src/peer/master.js";
import { newPrivateKeyPem } from "../../src/peer/identity.js";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { login, registerAndLogin, type TestClient } from "../helpers/client.js";
import { startHub } from "../helpers/hub.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function hub(): Promise<string> {
  const h = await startHub();
  cleanups.push(() => h.stop());
  return h.url;
}

function masterKey(): MasterKey {
  const privateKeyPem = newPrivateKeyPem("ed25519");
  const publicKey = createPublicKey(createPrivateKey(privateKeyPem))
    .export({ type: "spki", format: "der" })
    .toString("base64");
  return { publicKey, fingerprint: "", privateKeyPem };
}

/** What `peer.announce` takes of a device's keys (its id is derived by the hub; `id` would clash with the frame's). */
function announced(keys: DeviceIdentity): { key: string; signKey: string; encKey: string } {
  const { key, signKey, encKey } = devicePublicKeys(keys);
  return { key, signKey, encKey };
}

interface Device {
  client: TestClient;
  keys: DeviceIdentity;
}

/** A connection of `name` announcing a fresh device (signed by `master` when given). */
async function device(
  url: string,
  name: string,
  options: { register?: boolean; master?: MasterKey; endpoints?: Array<{ host: string; port: number }> } = {},
): Promise<Device> {
  const client = options.register ? await registerAndLogin(url, name) : await login(url, name);
  cleanups.push(() => client.close());
  const keys = await deviceWith();
  const pub = devicePublicKeys(keys);
  await client.call("peer.announce", {
    endpoints: options.endpoints ?? [],
    ...announced(keys),
    ...(options.master
      ? { master: options.master.publicKey, signature: signDevice(options.master, pub) }
      : {}),
  });
  return { client, keys };
}

describe("devices", () => {
  it("the first device publishes the master key; another device shows unsigned until a master holder signs it", async () => {
    const url = await hub();
    const master = masterKey();
    const laptop = await device(url, "bob", { register: true, master });
    const listed = await laptop.client.call("devices.list", {});
    expect(listed).toEqual({
      user: "bob",
      master: master.publicKey,
      devices: [expect.objectContaining({ id: laptop.keys.id, signKey: laptop.keys.signKey })],
    });
    expect(
      deviceSignedBy(master.publicKey, devicePublicKeys(laptop.keys), listed.devices[0]?.signature),
    ).toBe(true);

    // A new device without the master key: listed, unsigned; bob's other devices hear of it.
    const phone = await device(url, "bob");
    const added = await laptop.client.nextEvent("devices.changed", (e) => e.change === "added");
    expect(added.device).toBe(phone.keys.id);
    const alice = await device(url, "alice", { register: true });
    const seen = await alice.client.call("devices.list", { user: "bob" });
    expect(seen.devices.map((d) => [d.id, d.signature !== undefined])).toEqual([
      [laptop.keys.id, true],
      [phone.keys.id, false],
    ]);

    // Only the master key's signature of that very device is taken.
    const wrong = signDevice(master, devicePublicKeys(laptop.keys));
    expect(await laptop.client.codeOf("device.sign", { device: phone.keys.id, signature: wrong })).toBe(
      "INVALID_PARAMS",
    );
    expect(
      await laptop.client.codeOf("device.sign", {
        device: "0123456789abcdef",
        signature: signDevice(master, devicePublicKeys(phone.keys)),
      }),
    ).toBe("NO_SUCH_DEVICE");
    await laptop.client.call("device.sign", {
      device: phone.keys.id,
      signature: signDevice(master, devicePublicKeys(phone.keys)),
    });
    await phone.client.nextEvent("devices.changed", (e) => e.change === "signed");
    const after = await alice.client.call("devices.list", { user: "bob" });
    expect(after.devices.every((d) => deviceSignedBy(master.publicKey, d, d.signature))).toBe(true);

    // Re-announcing (every login does) keeps the signature another device made.
    const again = await phone.client.call("peer.announce", { endpoints: [], ...announced(phone.keys) });
    expect(again).toEqual({ device: phone.keys.id, master: master.publicKey, signed: true });
  });

  it("refuses a second master key unless replaced on purpose, which unsigns the other devices", async () => {
    const url = await hub();
    const first = masterKey();
    const a = await device(url, "carol", { register: true, master: first });
    const other = masterKey();
    const b = await deviceWith();
    const reply = await a.client.request("peer.announce", {
      endpoints: [],
      ...announced(b),
      master: other.publicKey,
      signature: signDevice(other, devicePublicKeys(b)),
    });
    expect(reply).toMatchObject({ ok: false, error: { code: "INVALID_PARAMS", field: "master" } });
    // Replacing takes a signature made with the new key.
    const unsigned = await a.client.request("peer.announce", {
      endpoints: [],
      ...announced(b),
      master: other.publicKey,
      replaceMaster: true,
    });
    expect(unsigned).toMatchObject({ ok: false, error: { code: "INVALID_PARAMS", field: "signature" } });
    const replaced = await a.client.call("peer.announce", {
      endpoints: [],
      ...announced(b),
      master: other.publicKey,
      signature: signDevice(other, devicePublicKeys(b)),
      replaceMaster: true,
    });
    expect(replaced).toEqual({ device: b.id, master: other.publicKey, signed: true });
    const listed = await a.client.call("devices.list", {});
    expect(listed.master).toBe(other.publicKey);
    expect(listed.devices.find((d) => d.id === a.keys.id)?.signature).toBeUndefined();
  });

  it("checks every key's type and encoding, naming the field", async () => {
    const url = await hub();
    const a = await device(url, "dora", { register: true });
    const keys = announced(a.keys);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ signKey: keys.encKey }, "signKey"],
      [{ encKey: keys.signKey }, "encKey"],
      [{ master: keys.key }, "master"],
      [{ key: ` ${keys.key}` }, "key"],
      [{ signature: "AAAA" }, "master"],
    ];
    for (const [patch, field] of cases) {
      const reply = await a.client.request("peer.announce", { endpoints: [], ...keys, ...patch });
      expect(reply, field).toMatchObject({ ok: false, error: { code: "INVALID_PARAMS", field } });
    }
  });

  it("revokes a device for good: unlisted, its requests refused, and it cannot announce again", async () => {
    const url = await hub();
    const laptop = await device(url, "erin", { register: true });
    const stolen = await device(url, "erin");
    await device(url, "fred", { register: true });
    await laptop.client.call("device.revoke", { device: stolen.keys.id });
    await stolen.client.nextEvent("devices.changed", (e) => e.change === "revoked");
    const listed = await laptop.client.call("devices.list", {});
    expect(listed.devices.map((d) => d.id)).toEqual([laptop.keys.id]);
    expect(await stolen.client.codeOf("p2p.request", { user: "fred" })).toBe("FORBIDDEN");
    expect(await stolen.client.codeOf("peer.announce", { endpoints: [], ...announced(stolen.keys) })).toBe(
      "FORBIDDEN",
    );
    expect(await laptop.client.codeOf("device.revoke", { device: stolen.keys.id })).toBe("NO_SUCH_DEVICE");
  });

  it(`keeps at most ${MAX_DEVICES_PER_USER} devices per account`, async () => {
    const url = await hub();
    const a = await device(url, "gina", { register: true });
    for (let i = 1; i < MAX_DEVICES_PER_USER; i++) {
      await a.client.call("peer.announce", { endpoints: [], ...announced(await deviceWith()) });
    }
    expect(await a.client.codeOf("peer.announce", { endpoints: [], ...announced(await deviceWith()) })).toBe(
      "FORBIDDEN",
    );
  });
});

describe("direct-chat requests to devices", () => {
  it("goes to every device of the target; the first to accept takes it and the others are told", async () => {
    const url = await hub();
    const alice = await device(url, "alice", { register: true });
    const laptop = await device(url, "bob", {
      register: true,
      endpoints: [{ host: "10.1.2.3", port: 4000 }],
    });
    const phone = await device(url, "bob");
    const { requestId, devices } = await alice.client.call("p2p.request", { user: "bob" });
    expect(devices?.devices.map((d) => d.id)).toEqual([laptop.keys.id, phone.keys.id]);
    const onLaptop = await laptop.client.nextEvent("p2p.request");
    await phone.client.nextEvent("p2p.request");
    expect(onLaptop).toMatchObject({ requestId, from: "alice", device: { id: alice.keys.id } });
    expect(onLaptop.to).toBeUndefined();

    // The acceptor gives this requester no address at all (it may hold them back from strangers).
    await phone.client.call("p2p.answer", { requestId, accept: true, endpoints: [] });
    const answered = await alice.client.nextEvent("p2p.answered");
    expect(answered).toMatchObject({ accept: true, endpoints: [], key: phone.keys.identity.publicKey });
    expect(answered.device?.id).toBe(phone.keys.id);
    expect(await laptop.client.nextEvent("p2p.cancelled")).toEqual({
      ev: "p2p.cancelled",
      requestId,
      reason: "answered",
    });
    expect(await laptop.client.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
    const { channel } = await phone.client.call("p2p.relay", { requestId });
    expect((await alice.client.call("p2p.relay", { requestId })).channel).toBe(channel);
  });

  it("goes to the one device asked, and only it may answer", async () => {
    const url = await hub();
    const alice = await device(url, "alice", { register: true });
    const laptop = await device(url, "bob", { register: true });
    const phone = await device(url, "bob");
    expect(await alice.client.codeOf("p2p.request", { user: "bob", device: "0123456789abcdef" })).toBe(
      "NO_SUCH_DEVICE",
    );
    const { requestId, key } = await alice.client.call("p2p.request", { user: "bob", device: phone.keys.id });
    expect(key).toBe(phone.keys.identity.publicKey);
    const event = await laptop.client.nextEvent("p2p.request");
    expect(event.to).toBe(phone.keys.id);
    expect(await laptop.client.codeOf("p2p.answer", { requestId, accept: true })).toBe("NO_SUCH_REQUEST");
    expect(await laptop.client.codeOf("p2p.answer", { requestId, accept: false })).toBe("NO_SUCH_REQUEST");
    await phone.client.call("p2p.answer", { requestId, accept: true });
    expect(await alice.client.nextEvent("p2p.answered")).toMatchObject({ accept: true });
  });
});
