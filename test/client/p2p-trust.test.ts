/**
 * Trust in direct chats through the SDK, against a real hub — and a lying one: a proxy that swaps a
 * user's key and address at first contact is caught as "not verified", and once the real key was
 * verified, refused as KEY CHANGED. A verified contact's new device signed by their master key is
 * trusted without a warning; an unsigned one is not; a revoked one is gone.
 */
import { afterEach, describe, expect, it } from "vitest";
import { P2pKeyChangedError, type RequestGone } from "../../src/client/index.js";
import { devicePublicKeys, deviceWith } from "../../src/peer/device.js";
import { PeerNode } from "../../src/peer/node.js";
import { encryptionWords } from "../../src/tui/p2p/verify.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { startLyingHub, type Frame } from "../helpers/lying-hub.js";
import { waitFor } from "./helpers.js";
import { openChat, p2pUser, verifyEachOther } from "./p2p-helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function hub(): Promise<TestHub> {
  const h = await startHub({ insecure: true });
  cleanups.push(() => h.stop());
  return h;
}

const user = (url: string, name: string, options: Parameters<typeof p2pUser>[3] = {}) =>
  p2pUser(url, name, cleanups, options);
const open = openChat;

describe("verification", () => {
  it("both sides compute the same safety number; confirming turns the open chat verified", async () => {
    const h = await hub();
    const alice = await user(h.url, "alice");
    const bob = await user(h.url, "bob");
    const { requester, acceptor } = await open(alice, bob);
    expect(requester.trust).toBe("unverified");
    expect(acceptor.trust).toBe("unverified");
    expect(encryptionWords(requester.trust)).toBe("encrypted, not verified");
    expect(alice.p2p.standing("bob")).toBe("unverified");
    const number = await verifyEachOther(alice, bob);
    expect(number).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(requester.trust).toBe("verified");
    expect(acceptor.trust).toBe("verified");
    expect(alice.p2p.standing("bob")).toBe("verified");
    // Confirming needs a number shown first.
    await expect(alice.p2p.confirmVerified("bob")).rejects.toThrow(/compare the safety number first/);
  });
});

describe("a lying hub", () => {
  /**
   * alice reaches the hub only through the liar, which presents mallory's device as bob's (key,
   * device record, master key) and mallory's listener as bob's address.
   */
  async function setup(verifyFirst: boolean) {
    const h = await hub();
    const liar = await startLyingHub(h.url);
    cleanups.push(() => liar.close());
    const alice = await user(liar.url, "alice");
    const bob = await user(h.url, "bob");
    let safety: string | undefined;
    if (verifyFirst) {
      // They met before, through the honest path, and compared numbers.
      const { requester } = await open(alice, bob);
      safety = await verifyEachOther(alice, bob);
      requester.close();
    }
    const mallory = await deviceWith();
    const node = await PeerNode.create({ identity: mallory.identity, listen: { host: "127.0.0.1" } });
    cleanups.push(() => node.close());
    const fake = { ...devicePublicKeys(mallory), createdAt: Date.now(), lastSeen: Date.now() };
    let swapped = 0;
    liar.rewrite = (frame: Frame) => {
      if (Array.isArray((frame as { devices?: { devices?: unknown } }).devices?.devices)) {
        swapped++;
        return { ...frame, key: fake.key, devices: { user: "bob", devices: [fake] } };
      }
      if (frame.ev === "p2p.answered" && frame.accept === true) {
        swapped++;
        const rest = { ...frame };
        delete rest.master;
        return { ...rest, key: fake.key, device: fake, endpoints: node.endpoints() };
      }
      return frame;
    };
    return { h, liar, alice, bob, node, fake, safety, swapped: () => swapped };
  }

  it("at first contact: the chat opens with the impostor, but says it is not verified", async () => {
    const { alice, bob, node, swapped } = await setup(false);
    const requesting = alice.p2p.request("bob");
    await waitFor("bob is asked", () => bob.requests.length > 0);
    const request = bob.requests.shift()!;
    // mallory takes the direct dial meant for bob (bob is busy accepting on the honest side).
    const impostor = node.accept({ peer: "alice", key: alice.p2p.publicKey, requestId: request.requestId });
    void bob.p2p.accept(request.requestId).catch(() => {});
    const chat = await requesting;
    await impostor;
    expect(swapped()).toBeGreaterThanOrEqual(2);
    expect(chat.fingerprint).not.toBe(bob.p2p.fingerprint);
    // What the screen is told: encrypted, but to a key nobody checked.
    expect(chat.trust).toBe("unverified");
    expect(encryptionWords(chat.trust)).toBe("encrypted, not verified");
    // And comparing numbers would show it: alice's number is not bob's.
    const atAlice = await alice.p2p.verification("bob");
    const atBob = await bob.p2p.verification("alice");
    expect(atAlice.safetyNumber).not.toBe(atBob.safetyNumber);
  });

  it("once bob's real key was verified: refused with KEY CHANGED before anyone answers, and /trustkey will not do", async () => {
    const { alice, bob, node, swapped } = await setup(true);
    const gone: RequestGone[] = [];
    bob.p2p.on("requestGone", (g) => gone.push(g));
    let dialled = 0;
    node.on("rejected", () => dialled++);
    const err = await alice.p2p.request("bob").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(swapped()).toBe(1);
    expect(err).toBeInstanceOf(P2pKeyChangedError);
    const warning = (err as P2pKeyChangedError).warning;
    expect(warning).toMatchObject({ user: "bob", blocked: true });
    expect((err as Error).message).toMatch(/^KEY CHANGED: bob was verified/);
    expect(alice.p2p.standing("bob")).toBe("changed");
    expect(alice.warnings).toHaveLength(1);
    // The request was withdrawn (bob's client is told why), and nothing was dialled.
    await waitFor("bob is told", () => gone.length > 0);
    expect(gone[0]).toMatchObject({ reason: "untrusted" });
    expect(dialled).toBe(0);
    await expect(alice.p2p.trustKey("bob")).rejects.toBeInstanceOf(P2pKeyChangedError);
    expect(alice.p2p.standing("bob")).toBe("changed");
  });
});

describe("a key per device", () => {
  it("a verified contact's new device signed with their master key is trusted without a warning; an unsigned one is not", async () => {
    const h = await hub();
    const alice = await user(h.url, "alice");
    const laptop = await user(h.url, "bob");
    const first = await open(alice, laptop);
    await verifyEachOther(alice, laptop);
    first.requester.close();
    expect(laptop.p2p.device.standing).toMatchObject({ signed: true, holdsMaster: true });

    // bob's phone: a device of its own, given the master key by an encrypted export.
    const phone = await user(h.url, "bob", { login: true });
    expect(phone.p2p.device.standing).toMatchObject({ signed: false, holdsMaster: false });
    const exported = await laptop.p2p.exportMasterKey("a long passphrase");
    expect(await phone.p2p.importMasterKey(exported, "a long passphrase")).toMatchObject({
      signed: true,
      holdsMaster: true,
    });
    await laptop.p2p.close();
    await laptop.client.close();
    const viaPhone = await open(alice, phone);
    expect(viaPhone.requester.trust).toBe("verified");
    expect(alice.warnings).toEqual([]);
    viaPhone.requester.close();
    await phone.p2p.close();
    await phone.client.close();

    // A tablet nobody signed (the hub could have added it): not trusted.
    const tablet = await user(h.url, "bob", { login: true });
    const devices = await alice.p2p.devicesOf("bob");
    expect(devices.map((d) => [d.id, d.signed, d.trust])).toEqual([
      [laptop.p2p.device.id, true, "verified"],
      [phone.p2p.device.id, true, "verified"],
      [tablet.p2p.device.id, false, "changed"],
    ]);
    // Each device publishes its keys for encryption and signing (for end-to-end rooms).
    expect(devices[2]).toMatchObject({
      signKey: tablet.p2p.device.signKey,
      encKey: tablet.p2p.device.encKey,
    });
    const err = await alice.p2p.request("bob").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(P2pKeyChangedError);
    expect((err as P2pKeyChangedError).warning).toMatchObject({
      device: tablet.p2p.device.id,
      blocked: true,
    });
  });

  it("a device signed from another device is trusted; a revoked one is gone and can no longer chat", async () => {
    const h = await hub();
    const alice = await user(h.url, "alice");
    const laptop = await user(h.url, "bob");
    const { requester } = await open(alice, laptop);
    await verifyEachOther(alice, laptop);
    requester.close();

    const changes: Array<{ change: string; device?: string; current: boolean }> = [];
    laptop.p2p.on("devicesChanged", (c) => changes.push(c));
    const tablet = await user(h.url, "bob", { login: true });
    // bob's laptop hears of the new device (one he did not add would stand out the same way).
    await waitFor("the laptop is told", () => changes.length > 0);
    expect(changes[0]).toEqual({ change: "added", device: tablet.p2p.device.id, current: false });
    const signed = await laptop.p2p.signDevice(tablet.p2p.device.id.slice(0, 6));
    expect(signed).toMatchObject({ id: tablet.p2p.device.id, signed: true });
    // The tablet hears of it and re-announces, signed.
    await waitFor("the tablet knows it is signed", () => tablet.p2p.device.standing.signed);
    expect((await tablet.p2p.ownDevices()).map((d) => [d.id, d.signed, d.current])).toEqual([
      [laptop.p2p.device.id, true, false],
      [tablet.p2p.device.id, true, true],
    ]);
    expect((await alice.p2p.devicesOf("bob")).map((d) => d.trust)).toEqual(["verified", "verified"]);

    // The tablet is stolen: bob revokes it from the laptop.
    await laptop.p2p.revokeDevice(tablet.p2p.device.id);
    expect((await alice.p2p.devicesOf("bob")).map((d) => d.id)).toEqual([laptop.p2p.device.id]);
    await expect(tablet.p2p.request("alice")).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
