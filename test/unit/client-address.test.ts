import { describe, expect, it } from "vitest";
import { clientAddress, trustedProxies } from "../../src/hub/gateway/client-address.js";

const proxies = trustedProxies("127.0.0.1, ::1,10.0.0.2");

describe("clientAddress", () => {
  it("is the TCP peer when no proxy is trusted, whatever the client claims", () => {
    expect(clientAddress("203.0.113.7", "198.51.100.1", new Set())).toBe("203.0.113.7");
    expect(clientAddress("127.0.0.1", "198.51.100.1", new Set())).toBe("127.0.0.1");
    expect(clientAddress(undefined, undefined, proxies)).toBe("unknown");
  });

  it("ignores the header from a peer that is not a trusted proxy", () => {
    expect(clientAddress("203.0.113.7", "198.51.100.1", proxies)).toBe("203.0.113.7");
  });

  it("takes the address a trusted proxy forwards, IPv4-mapped or not", () => {
    expect(clientAddress("127.0.0.1", "198.51.100.1", proxies)).toBe("198.51.100.1");
    expect(clientAddress("::ffff:127.0.0.1", "198.51.100.1", proxies)).toBe("198.51.100.1");
    expect(clientAddress("::1", "2001:DB8::5", proxies)).toBe("2001:db8::5");
  });

  it("walks right to left past trusted hops, never trusting what the client wrote further left", () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the real address.
    expect(clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.1", proxies)).toBe("198.51.100.1");
    // Two proxies in a row: a balancer at 10.0.0.2 in front of a local nginx.
    expect(clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", proxies)).toBe("198.51.100.1");
    // Repeated headers are one list.
    expect(clientAddress("127.0.0.1", ["6.6.6.6", "198.51.100.1"], proxies)).toBe("198.51.100.1");
  });

  it("stops at the last trusted hop on a malformed entry or when every hop is a proxy", () => {
    expect(clientAddress("127.0.0.1", "not-an-ip", proxies)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", "198.51.100.1, garbage, 10.0.0.2", proxies)).toBe("10.0.0.2");
    expect(clientAddress("127.0.0.1", "10.0.0.2", proxies)).toBe("10.0.0.2");
    expect(clientAddress("127.0.0.1", "", proxies)).toBe("127.0.0.1");
  });
});

describe("trustedProxies", () => {
  it("reads a comma-separated setting or a list", () => {
    expect([...trustedProxies(" 127.0.0.1 ,,::FFFF:10.0.0.1")]).toEqual(["127.0.0.1", "10.0.0.1"]);
    expect([...trustedProxies(["10.0.0.2"])]).toEqual(["10.0.0.2"]);
    expect(trustedProxies(undefined).size).toBe(0);
  });
});
