/**
 * This device and the user's other devices, for PeerChats: publishing this device's keys (signed by
 * the user's master key when this folder holds it — the first device of an account creates it),
 * listing the user's devices with the state of each signature, signing another device, revoking one,
 * and moving the master key to another device through an encrypted export.
 */
import type { Device, Endpoint, OpParams, OpResult, OpName } from "../protocol/index.js";
import { deviceSignedBy } from "../peer/device-signature.js";
import { devicePublicKeys, rotateEncryptionKey, type DeviceIdentity } from "../peer/device.js";
import { keyFingerprint } from "../peer/fingerprint.js";
import {
  createMasterKey,
  exportMasterKey,
  findMasterKey,
  importMasterKey,
  signDevice,
  type MasterKey,
} from "../peer/master.js";

/** The hub calls this needs (ParleyClient.call). */
export interface HubCaller {
  call<O extends OpName>(op: O, params: OpParams<O>): Promise<OpResult<O>>;
}

/** One of the user's devices as `/devices` shows it. */
export interface OwnDevice {
  id: string;
  fingerprint: string;
  name?: string;
  createdAt: number;
  lastSeen: number;
  /** Carries a valid signature of the user's master key. */
  signed: boolean;
  /** This device. */
  current: boolean;
}

export interface DeviceStanding {
  id: string;
  /** The user's published master key, if any. */
  master: string | undefined;
  /** This device is signed by it. */
  signed: boolean;
  /** This config folder holds that master key (this device can sign others). */
  holdsMaster: boolean;
}

export class DeviceNotFoundError extends Error {
  readonly code = "NO_SUCH_DEVICE";
  constructor(prefix: string) {
    super(`none of your devices has an id starting with ${prefix}`);
    this.name = "DeviceNotFoundError";
  }
}

export class MasterKeyMissingError extends Error {
  readonly code = "NO_MASTER_KEY";
  constructor() {
    super(
      "this device does not hold your master key: sign from a device that does, or import the key (/devices import FILE)",
    );
    this.name = "MasterKeyMissingError";
  }
}

export class OwnDevices {
  private standing: DeviceStanding;
  private announcing: Promise<unknown> = Promise.resolve();

  constructor(
    /** Replaced by `rotate`. */
    public device: DeviceIdentity,
    private readonly configDir: string,
    private readonly name: string | undefined,
  ) {
    this.standing = { id: device.id, master: undefined, signed: false, holdsMaster: false };
  }

  /** What the last announce learnt: the published master key and whether this device is signed. */
  get state(): DeviceStanding {
    return this.standing;
  }

  /**
   * Publishes this device (one `peer.announce`; a second one to add the signature when this folder
   * holds the published master key, or to publish a new master key when the account has none).
   */
  announce(hub: HubCaller, endpoints: Endpoint[]): Promise<DeviceStanding> {
    // One at a time: two first announces racing would each create a master key.
    const run = this.announcing.then(
      () => this.announceOnce(hub, endpoints),
      () => this.announceOnce(hub, endpoints),
    );
    this.announcing = run.catch(() => {});
    return run;
  }

  private async announceOnce(hub: HubCaller, endpoints: Endpoint[]): Promise<DeviceStanding> {
    const keys = devicePublicKeys(this.device);
    const base: OpParams<"peer.announce"> = {
      endpoints,
      key: keys.key,
      signKey: keys.signKey,
      encKey: keys.encKey,
      ...(this.name === undefined ? {} : { name: this.name }),
    };
    let result = await hub.call("peer.announce", base);
    let master = result.master === undefined ? undefined : await findMasterKey(this.configDir, result.master);
    if (result.master === undefined) {
      // The account's first device (or the first since keys per device): it creates the master key.
      master = await createMasterKey(this.configDir);
    }
    if (master && !result.signed) {
      result = await hub.call("peer.announce", {
        ...base,
        master: master.publicKey,
        signature: signDevice(master, keys),
      });
    }
    this.standing = {
      id: result.device,
      master: result.master,
      signed: result.signed,
      holdsMaster: master !== undefined && master.publicKey === result.master,
    };
    return this.standing;
  }

  /**
   * A new encryption key for this device, published at once (signed again when this folder holds the
   * master key; otherwise the device is unsigned until a device holding it runs `/devices sign`).
   */
  async rotate(hub: HubCaller, endpoints: Endpoint[]): Promise<DeviceStanding> {
    await this.announcing.catch(() => {});
    this.device = await rotateEncryptionKey(this.configDir, this.device);
    return this.announce(hub, endpoints);
  }

  /** The user's devices, each with whether its signature holds (checked here, not taken from the hub). */
  async list(hub: HubCaller): Promise<OwnDevice[]> {
    const { master, devices } = await hub.call("devices.list", {});
    return devices.map((d) => ownDevice(d, master, this.device.id));
  }

  /** Signs one of the user's devices (by id or a unique prefix of it) with the master key held here. */
  async sign(hub: HubCaller, idPrefix: string): Promise<OwnDevice> {
    const { master: published, devices } = await hub.call("devices.list", {});
    const master = published === undefined ? undefined : await findMasterKey(this.configDir, published);
    if (!master) throw new MasterKeyMissingError();
    const target = pick(devices, idPrefix);
    await hub.call("device.sign", { device: target.id, signature: signDevice(master, target) });
    return { ...ownDevice(target, published, this.device.id), signed: true };
  }

  /** Revokes one of the user's devices (by id or a unique prefix), this one included. */
  async revoke(hub: HubCaller, idPrefix: string): Promise<OwnDevice> {
    const { master, devices } = await hub.call("devices.list", {});
    const target = pick(devices, idPrefix);
    await hub.call("device.revoke", { device: target.id });
    return ownDevice(target, master, this.device.id);
  }

  /** The master key held here, encrypted with `passphrase` (for a backup, or to import on another device). */
  async exportMaster(passphrase: string): Promise<string> {
    const master = await this.heldMaster();
    return exportMasterKey(master, passphrase);
  }

  /** Keeps an exported master key here; the next announce signs this device with it. */
  async importMaster(pem: string, passphrase: string): Promise<MasterKey> {
    return importMasterKey(this.configDir, pem, passphrase);
  }

  private async heldMaster(): Promise<MasterKey> {
    const master =
      this.standing.master === undefined
        ? undefined
        : await findMasterKey(this.configDir, this.standing.master);
    if (!master) throw new MasterKeyMissingError();
    return master;
  }
}

function ownDevice(d: Device, master: string | undefined, currentId: string): OwnDevice {
  return {
    id: d.id,
    fingerprint: keyFingerprint(d.key),
    ...(d.name === undefined ? {} : { name: d.name }),
    createdAt: d.createdAt,
    lastSeen: d.lastSeen,
    signed: master !== undefined && deviceSignedBy(master, d, d.signature),
    current: d.id === currentId,
  };
}

function pick(devices: readonly Device[], idPrefix: string): Device {
  const prefix = idPrefix.trim().toLowerCase().replace(/\s+/g, "");
  const matches = prefix.length >= 4 ? devices.filter((d) => d.id.startsWith(prefix)) : [];
  if (matches.length !== 1 || !matches[0]) throw new DeviceNotFoundError(idPrefix);
  return matches[0];
}
