/** A user of a real hub with a PeerNode: the pieces the client SDK will put together, wired by hand. */
import { registerAndLogin, type TestClient } from "../../helpers/client.js";
import type { Endpoint } from "../../../src/protocol/model.js";
import { ephemeralIdentity } from "../../../src/peer/identity.js";
import { PeerNode, type PeerNodeOptions } from "../../../src/peer/node.js";
import { wsRelayLink } from "../../../src/peer/relay.js";
import type { PeerSession } from "../../../src/peer/session.js";

export interface HubPeer {
  username: string;
  client: TestClient;
  node: PeerNode;
  close(): Promise<void>;
}

export async function hubPeer(
  url: string,
  username: string,
  options: Partial<PeerNodeOptions> & { announce?: Endpoint[] } = {},
): Promise<HubPeer> {
  const client = await registerAndLogin(url, username);
  const node = await PeerNode.create({
    identity: await ephemeralIdentity(),
    listen: { host: "127.0.0.1" },
    relay: wsRelayLink(client.ws),
    ...options,
  });
  await client.call("peer.announce", {
    endpoints: options.announce ?? node.endpoints(),
    key: node.publicKey,
  });
  return {
    username,
    client,
    node,
    close: async () => {
      await node.close();
      await client.close();
    },
  };
}

const relayOf = (peer: HubPeer, requestId: string) => async () =>
  (await peer.client.call("p2p.relay", { requestId })).channel;

/** `from` asks `to` for a direct chat through the hub; `to` accepts. Returns both sessions. */
export async function openChat(
  from: HubPeer,
  to: HubPeer,
): Promise<{ requester: PeerSession; acceptor: PeerSession }> {
  const { requestId } = await from.client.call("p2p.request", { user: to.username });
  const request = await to.client.nextEvent("p2p.request", (e) => e.requestId === requestId);
  const accepting = to.node.accept({
    peer: request.from,
    key: request.key,
    requestId,
    answer: () => to.client.call("p2p.answer", { requestId, accept: true }),
    openRelay: relayOf(to, requestId),
  });
  const answered = await from.client.nextEvent("p2p.answered", (e) => e.requestId === requestId);
  if (!answered.accept || !answered.key) throw new Error("request was not accepted");
  const connecting = from.node.connect({
    peer: to.username,
    key: answered.key,
    requestId,
    endpoints: answered.endpoints ?? [],
    openRelay: relayOf(from, requestId),
  });
  const [requester, acceptor] = await Promise.all([connecting, accepting]);
  return { requester, acceptor };
}
