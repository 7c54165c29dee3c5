/**
 * One side of a direct chat, run as its own process inside a network namespace (a "host"). Talks to
 * the test over JSON lines: prints {type: "ready", key, endpoints}, reads {peerKey, endpoints?},
 * then runs the chat and prints {type: "done", ...}.
 *
 *   node --import tsx test/peer/helpers/netns-peer.ts accept|connect COUNT
 */
import { createInterface } from "node:readline";
import { ephemeralIdentity } from "../../../src/peer/identity.js";
import { PeerNode } from "../../../src/peer/node.js";
import type { Endpoint } from "../../../src/protocol/model.js";

const [role, countArg] = process.argv.slice(2);
const count = Number(countArg ?? "10");
const print = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

const node = await PeerNode.create({ identity: await ephemeralIdentity(), listen: { host: "0.0.0.0" } });
print({ type: "ready", key: node.publicKey, endpoints: node.endpoints() });

const lines = createInterface({ input: process.stdin });
const first = await new Promise<string>((resolve) => lines.once("line", resolve));
const { peerKey, endpoints } = JSON.parse(first) as { peerKey: string; endpoints?: Endpoint[] };

const timeout = setTimeout(() => {
  print({ type: "error", message: "timed out" });
  process.exit(2);
}, 20_000);

try {
  if (role === "accept") {
    const session = await node.accept({ peer: "a", key: peerKey, requestId: "netns" });
    const echoes: Array<Promise<unknown>> = [];
    const received: string[] = [];
    const paths = new Set<string>();
    await new Promise<void>((resolve) =>
      session.on("message", (m) => {
        received.push(m.body);
        paths.add(m.path);
        echoes.push(session.send(`echo: ${m.body}`));
        if (received.length === count) resolve();
      }),
    );
    await Promise.all(echoes);
    // The paths messages came by (the session itself may already be closed by the peer's bye).
    print({ type: "done", received, path: [...paths].join(",") });
  } else {
    const session = await node.connect({
      peer: "b",
      key: peerKey,
      requestId: "netns",
      endpoints: endpoints ?? [],
    });
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      session.on("message", (m) => {
        received.push(m.body);
        if (received.length === count) resolve();
      }),
    );
    const receipts = await Promise.all(Array.from({ length: count }, (_, i) => session.send(`hello ${i}`)));
    await all;
    const paths = [...new Set(receipts.map((r) => r.path))].join(",");
    print({ type: "done", received, path: paths, receipts: receipts.length });
  }
} catch (err) {
  print({ type: "error", message: String(err) });
}
clearTimeout(timeout);
await node.close();
lines.close();
