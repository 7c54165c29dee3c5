/** Trust on first use against real hubs: pin, match, refuse a changed certificate, accept it with trust. */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  HubFingerprintChangedError,
  HubFingerprintMismatchError,
  KnownHubsFileError,
  trustHub,
} from "../../src/client/index.js";
import {
  configDir,
  fingerprintOf,
  KnownHubs,
  knownHubsPath,
  normalizeFingerprint,
  parseHubUrl,
  trustCommand,
} from "../../src/client/known-hubs.js";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { selfSignedIdentity } from "../../src/hub/tls.js";
import { startHub, tempDir } from "../helpers/hub.js";
import { removeDir, tempConfigDir, testClient, waitFor } from "./helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
});

describe("known hubs (unit)", () => {
  it("formats fingerprints like the hub prints them", () => {
    const fp = fingerprintOf(Buffer.from("certificate"));
    expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(normalizeFingerprint(fp.toLowerCase().replaceAll(":", ""))).toBe(fp);
    expect(normalizeFingerprint("not a fingerprint")).toBeNull();
  });

  it("parses hub URLs with default port and path", () => {
    expect(parseHubUrl("wss://example.org")).toMatchObject({
      secure: true,
      host: "example.org",
      port: 7447,
      hostPort: "example.org:7447",
      url: "wss://example.org:7447/v1",
    });
    expect(parseHubUrl("ws://127.0.0.1:9000/v1")).toMatchObject({
      secure: false,
      hostPort: "127.0.0.1:9000",
    });
    expect(parseHubUrl("wss://[::1]:8000").host).toBe("::1");
    expect(() => parseHubUrl("https://example.org")).toThrow(/expected wss/);
    expect(trustCommand("wss://Example.org:8000/v1")).toBe("parley trust wss://example.org:8000");
  });

  it("takes the folder from PARLEY_CONFIG_DIR", () => {
    expect(configDir({ PARLEY_CONFIG_DIR: "/tmp/x" })).toBe("/tmp/x");
    expect(configDir({})).toMatch(/parley/);
  });

  it("stores pins in a private file and refuses a corrupt one with a clear error", async () => {
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const store = new KnownHubs(knownHubsPath(dir));
    const fp = fingerprintOf(Buffer.from("a"));
    store.set("h:1", fp);
    expect(new KnownHubs(knownHubsPath(dir)).get("h:1")).toBe(fp);
    expect(statSync(knownHubsPath(dir)).mode & 0o777).toBe(0o600);
    writeFileSync(knownHubsPath(dir), "{ nope");
    expect(() => store.get("h:1")).toThrow(KnownHubsFileError);
  });
});

describe("certificate pinning against a real hub", () => {
  it("pins on first use, accepts the same certificate, refuses a changed one, and trust accepts it", async () => {
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const first = await startHub();
    const port = first.port;
    const url = `wss://127.0.0.1:${port}`;

    const c1 = testClient(url, dir);
    const hello = await c1.connect();
    expect(hello.fingerprint).toBe(first.fingerprint);
    expect(c1.status).toMatchObject({ state: "online", insecure: false });
    const pinned = JSON.parse(readFileSync(join(dir, "known-hubs.json"), "utf8")) as {
      hubs: Record<string, { fingerprint: string }>;
    };
    expect(pinned.hubs[`127.0.0.1:${port}`]?.fingerprint).toBe(first.fingerprint);
    await c1.close();

    // Same hub, same certificate: fine.
    const c2 = testClient(url, dir);
    await c2.connect();
    await c2.close();
    await first.stop();

    // "Reinstalled": a new data folder means a new certificate on the same host:port.
    const otherData = await tempDir();
    cleanups.push(() => removeDir(otherData));
    const second = await startHub({ dataDir: otherData, config: { port } });
    cleanups.push(() => second.stop());
    expect(second.fingerprint).not.toBe(first.fingerprint);
    const c3 = testClient(url, dir);
    const error = await c3.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubFingerprintChangedError);
    const changed = error as HubFingerprintChangedError;
    expect(changed.expected).toBe(first.fingerprint);
    expect(changed.actual).toBe(second.fingerprint);
    expect(changed.message).toContain(first.fingerprint!);
    expect(changed.message).toContain(second.fingerprint!);
    expect(changed.message).toContain(`parley trust wss://127.0.0.1:${port}`);
    expect(c3.status).toMatchObject({ state: "offline" });
    // The pin is untouched by a refused connection.
    expect(new KnownHubs(knownHubsPath(dir)).get(`127.0.0.1:${port}`)).toBe(first.fingerprint);
    // Refused before the upgrade: the hub holds no connection from it.
    expect(second.hub.gateway.connectionCount).toBe(0);

    // A trust with the wrong expected fingerprint changes nothing.
    await expect(trustHub(url, { configDir: dir, fingerprint: first.fingerprint! })).rejects.toBeInstanceOf(
      HubFingerprintMismatchError,
    );
    const trusted = await trustHub(url, { configDir: dir });
    expect(trusted).toEqual({
      hostPort: `127.0.0.1:${port}`,
      fingerprint: second.fingerprint,
      previous: first.fingerprint,
    });
    const c4 = testClient(url, dir);
    expect((await c4.connect()).fingerprint).toBe(second.fingerprint);
    await c4.close();
  });

  it("an explicit fingerprint option must match and then pins", async () => {
    const hub = await startHub();
    cleanups.push(() => hub.stop());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const wrong = testClient(hub.url, dir, { fingerprint: fingerprintOf(Buffer.from("other")) });
    await expect(wrong.connect()).rejects.toBeInstanceOf(HubFingerprintMismatchError);
    expect(new KnownHubs(knownHubsPath(dir)).list()).toEqual({});
    const right = testClient(hub.url, dir, { fingerprint: hub.fingerprint!.toLowerCase() });
    await right.connect();
    await right.close();
    expect(Object.values(new KnownHubs(knownHubsPath(dir)).list())).toEqual([hub.fingerprint]);
  });

  it("goes offline instead of retrying when the certificate changes during a reconnect", async () => {
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const first = await startHub();
    const port = first.port;
    const client = testClient(`wss://127.0.0.1:${port}`, dir);
    cleanups.push(() => client.close());
    await client.connect();
    const otherData = await tempDir();
    cleanups.push(() => removeDir(otherData));
    await first.stop();
    const second = await startHub({ dataDir: otherData, config: { port } });
    cleanups.push(() => second.stop());
    await waitFor("the client gives up", () => client.status.state === "offline", 10_000);
    const status = client.status;
    expect(status.state === "offline" && status.error).toBeInstanceOf(HubFingerprintChangedError);
  });

  it("connects to an --insecure hub over ws:// without pinning and says so", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    expect(hub.url.startsWith("ws://")).toBe(true);
    const client = testClient(hub.url, dir);
    cleanups.push(() => client.close());
    const warnings: string[] = [];
    client.on("warning", (w) => warnings.push(w.message));
    const info = await client.connect();
    expect(warnings).toEqual([expect.stringMatching(/without TLS/)]);
    expect(info.insecure).toBe(true);
    expect(info.fingerprint).toBeUndefined();
    expect(client.status).toMatchObject({ state: "online", insecure: true });
    expect(new KnownHubs(knownHubsPath(dir)).list()).toEqual({});
  });

  it("writes nothing on a connection whose certificate fails the pin", async () => {
    const certDir = await tempDir();
    cleanups.push(() => removeDir(certDir));
    const identity = await selfSignedIdentity(certDir, "127.0.0.1");
    let received = 0;
    let secured = 0;
    const server = tls.createServer({ cert: identity.cert, key: identity.key }, (socket) => {
      secured += 1;
      socket.on("data", (chunk: Buffer) => (received += chunk.length));
      socket.on("error", () => {});
    });
    let tcp = 0;
    server.on("connection", () => (tcp += 1));
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    new KnownHubs(knownHubsPath(dir)).set(`127.0.0.1:${port}`, fingerprintOf(Buffer.from("the old cert")));
    const client = testClient(`wss://127.0.0.1:${port}`, dir);
    await expect(client.connect()).rejects.toBeInstanceOf(HubFingerprintChangedError);
    await waitFor("the client reached the server", () => tcp === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Not even the HTTP upgrade request went out.
    expect(received).toBe(0);
    expect(secured).toBeLessThanOrEqual(1);
  });
});
