/**
 * Users with direct chats for the SDK's peer-to-peer tests: each on a device of its own (its own
 * config folder), asking and accepting, and comparing safety numbers.
 */
import { expect } from "vitest";
import {
  PeerChats,
  type DirectChat,
  type IncomingRequest,
  type KeyWarning,
  type ParleyClient,
  type PeerChatsOptions,
} from "../../src/client/index.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";

export interface P2pUser {
  name: string;
  dir: string;
  client: ParleyClient;
  p2p: PeerChats;
  requests: IncomingRequest[];
  warnings: KeyWarning[];
}

/**
 * A user on a fresh device: registered, or (`login`) another device of an existing account. Listens on
 * loopback only; gives addresses to anyone accepted unless `options.addresses` says otherwise.
 */
export async function p2pUser(
  url: string,
  name: string,
  cleanups: Array<() => Promise<void>>,
  options: PeerChatsOptions & { login?: boolean } = {},
): Promise<P2pUser> {
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  const client = testClient(url, dir);
  cleanups.push(() => client.close());
  await client.connect();
  const { login, ...p2pOptions } = options;
  const p2p = await PeerChats.start(client, {
    configDir: dir,
    listen: { host: "127.0.0.1" },
    addresses: "all",
    ...p2pOptions,
  });
  cleanups.push(() => p2p.close());
  if (login) await client.login(name, "correct-horse-battery");
  else await signUp(client, name);
  await p2p.announce();
  const requests: IncomingRequest[] = [];
  const warnings: KeyWarning[] = [];
  p2p.on("request", (r) => requests.push(r));
  p2p.on("keyChanged", (w) => warnings.push(w));
  return { name, dir, client, p2p, requests, warnings };
}

/** `from` asks `to`; `to` accepts as soon as the request shows. */
export async function openChat(
  from: P2pUser,
  to: P2pUser,
): Promise<{ requester: DirectChat; acceptor: DirectChat }> {
  const requesting = from.p2p.request(to.name);
  await waitFor(`${to.name} is asked`, () => to.requests.length > 0);
  const request = to.requests.shift()!;
  const [requester, acceptor] = await Promise.all([requesting, to.p2p.accept(request.requestId)]);
  return { requester, acceptor };
}

/** Both compare the numbers (they must match) and confirm: each verifies the other's device. */
export async function verifyEachOther(a: P2pUser, b: P2pUser): Promise<string> {
  const atA = await a.p2p.verification(b.name);
  const atB = await b.p2p.verification(a.name);
  expect(atA.safetyNumber).toBe(atB.safetyNumber);
  await a.p2p.confirmVerified(b.name);
  await b.p2p.confirmVerified(a.name);
  return atA.safetyNumber;
}
