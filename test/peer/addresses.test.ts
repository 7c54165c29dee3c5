/** Which addresses a device gives to whom, and which ones it dials (src/peer/addresses.ts). */
import { describe, expect, it } from "vitest";
import {
  dialPlan,
  listenAddresses,
  refusalOf,
  revealsAddress,
  type AddressMode,
} from "../../src/peer/addresses.js";

const noBroadcasts = new Set<string>();

describe("who learns this device's addresses", () => {
  it("follows the mode: nobody, verified peers, known contacts, or everyone accepted", () => {
    const stranger = { verified: false, known: false };
    const contact = { verified: false, known: true };
    const verified = { verified: true, known: true };
    const table: Record<AddressMode, boolean[]> = {
      "relay-only": [false, false, false],
      verified: [false, false, true],
      contacts: [false, true, true],
      all: [true, true, true],
    };
    for (const [mode, expected] of Object.entries(table) as Array<[AddressMode, boolean[]]>)
      expect(
        [stranger, contact, verified].map((p) => revealsAddress(mode, p)),
        mode,
      ).toEqual(expected);
  });
});

describe("what a client dials", () => {
  it("never multicast, broadcast, unspecified or reserved addresses, in either family or mapped", () => {
    for (const ip of [
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "0.0.0.0",
      "0.1.2.3",
      "240.0.0.1",
      "::",
      "ff02::1",
      "::ffff:224.0.0.1",
      "::ffff:0.0.0.0",
    ])
      expect(refusalOf(ip, { allowLinkLocal: true, broadcasts: noBroadcasts }), ip).toBe(
        "multicast, broadcast or unspecified",
      );
    // The broadcast address of a network this machine is on.
    expect(refusalOf("192.168.7.255", { broadcasts: new Set(["192.168.7.255"]) })).toBe(
      "multicast, broadcast or unspecified",
    );
    for (const ip of ["127.0.0.1", "10.1.2.3", "192.168.7.20", "2001:db8::1", "::1"])
      expect(refusalOf(ip, { allowLinkLocal: false, broadcasts: noBroadcasts }), ip).toBeUndefined();
  });

  it("link-local only when the own network is link-local (a cloud's 169.254.169.254 is not a peer)", () => {
    expect(refusalOf("169.254.169.254", { allowLinkLocal: false, broadcasts: noBroadcasts })).toBe(
      "link-local",
    );
    expect(refusalOf("fe80::1", { allowLinkLocal: false, broadcasts: noBroadcasts })).toBe("link-local");
    expect(refusalOf("169.254.10.20", { allowLinkLocal: true, broadcasts: noBroadcasts })).toBeUndefined();
  });

  it("takes at most 16 addresses per attempt, drops duplicates, and says why it left the others", async () => {
    const endpoints = [
      { host: "224.0.0.251", port: 5353 },
      ...Array.from({ length: 30 }, (_, i) => ({ host: "127.0.0.1", port: 20_000 + (i % 20) })),
    ];
    const plan = await dialPlan(endpoints, { allowLinkLocal: false, broadcasts: noBroadcasts });
    expect(plan.targets).toHaveLength(16);
    expect(new Set(plan.targets.map((t) => t.port)).size).toBe(16);
    expect(plan.refused[0]).toEqual({
      endpoint: endpoints[0],
      reason: "multicast, broadcast or unspecified",
    });
    expect(plan.refused.filter((r) => r.reason === "over the limit").length).toBeGreaterThan(0);
  });

  it("resolves host names and checks what they resolve to, counting every address against the limit", async () => {
    const names: Record<string, string[]> = {
      "peer.example": ["10.0.0.5", "224.0.0.1"],
      "many.example": Array.from({ length: 20 }, (_, i) => `10.0.1.${i + 1}`),
    };
    const plan = await dialPlan(
      [
        { host: "peer.example", port: 4000 },
        { host: "nowhere.example", port: 4000 },
        { host: "many.example", port: 4001 },
      ],
      {
        allowLinkLocal: false,
        broadcasts: noBroadcasts,
        resolve: async (host) => {
          const found = names[host];
          if (!found) throw new Error("ENOTFOUND");
          return found;
        },
      },
    );
    expect(plan.targets[0]).toEqual({ host: "10.0.0.5", port: 4000 });
    expect(plan.targets).toHaveLength(16);
    expect(plan.refused.map((r) => r.reason)).toEqual(
      expect.arrayContaining(["multicast, broadcast or unspecified", "unresolvable", "over the limit"]),
    );
  });

  it("a listener's default addresses are real ones, never a wildcard", () => {
    const hosts = listenAddresses();
    expect(hosts.length).toBeGreaterThan(0);
    for (const host of hosts) {
      expect(["0.0.0.0", "::"]).not.toContain(host);
      expect(refusalOf(host, { allowLinkLocal: true, broadcasts: noBroadcasts })).toBeUndefined();
    }
  });
});
