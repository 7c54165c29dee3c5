/**
 * The hostile user of the `abuse` benchmark and test (see abuse.ts): `tsx abuse-attacker.ts URL ATTACKS`
 * attacks until its stdin closes, then prints what it saw (which refusals, how many) as one JSON line.
 * It ignores every retryAfterMs, as an attacker would; but it paces itself (each worker at most one
 * request per PACE_MS, each refused connection retried after RETRY_MS) so that, on the one machine
 * it shares with the hub, it does not simply take the CPU from everyone: the point is the hub's limits.
 */
import { ATTACKS, BYSTANDER_ROOM, WireClient, type Attack } from "./abuse.js";

const [url, list] = process.argv.slice(2) as [string, string];
const attacks = list.split(",").filter((a): a is Attack => (ATTACKS as readonly string[]).includes(a));
const report: Record<string, number> = {};
const count = (key: string) => (report[key] = (report[key] ?? 0) + 1);
let running = true;
process.stdin.resume();
process.stdin.once("end", () => (running = false));

const PASSWORD = "attacker password 7447";
const USER = `attacker${process.pid}`;
const PACE_MS = 20;
const RETRY_MS = 3000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logged-in connection, or undefined when the hub refuses it. */
async function session(): Promise<WireClient | undefined> {
  try {
    const c = await WireClient.connect(url);
    await c.call("hello", { client: "abuse-attacker", protocol: 1 });
    const login = await c.request("login", { username: USER, password: PASSWORD });
    if (!login.ok) {
      count(`login:${login.error?.code}`);
      c.close();
      return undefined;
    }
    return c;
  } catch (error) {
    count(`connect:${(error as Error).message.slice(0, 40)}`);
    return undefined;
  }
}

/** `n` workers, each keeping a session and sending `next()` as fast as replies come back. */
async function flood(name: string, n: number, next: (i: number) => [string, Record<string, unknown>]) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (running) {
        const c = await session();
        if (!c) {
          await pause(RETRY_MS);
          continue;
        }
        while (running && c.ws.readyState === c.ws.OPEN) {
          const [op, params] = next(i++);
          const reply = await c.request(op, params);
          count(`${name}:${reply.ok ? "ok" : reply.error?.code}`);
          await pause(PACE_MS);
        }
        c.close();
      }
    }),
  );
}

/** Hundreds of connections: held open when admitted, retried at once when refused. */
async function connections(n: number) {
  // The other attacks log in first: otherwise this one alone takes the address's every slot.
  if (attacks.length > 1) await pause(1500);
  const held: WireClient[] = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (running) {
        try {
          held.push(await WireClient.connect(url));
          count("connections:admitted");
          return;
        } catch {
          count("connections:refused");
          await pause(RETRY_MS);
        }
      }
    }),
  );
  while (running) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const c of held) c.close();
}

const setup = await WireClient.connect(url);
await setup.call("hello", { client: "abuse-attacker", protocol: 1 });
await setup.request("register", { username: USER, password: PASSWORD });
await setup.call("login", { username: USER, password: PASSWORD });
await setup.request("room.create", { name: `${USER}-room` });
setup.close();
const runs: Array<Promise<void>> = [];
process.stdout.write("attacking\n");
for (const attack of attacks) {
  if (attack === "connections") runs.push(connections(300));
  if (attack === "rooms") runs.push(flood("rooms", 3, (i) => ["room.create", { name: `${USER}-${i}` }]));
  if (attack === "listing")
    runs.push(flood("listing", 3, () => ["rooms.list", { detail: true, limit: 200 }]));
  if (attack === "messages") {
    runs.push(
      flood("messages", 3, (i) => [
        "msg.send",
        { room: `${USER}-room`, body: "x".repeat(3000), cid: `m${i}` },
      ]),
    );
  }
  if (attack === "passwords") {
    runs.push(flood("passwords", 3, (i) => ["room.join", { room: BYSTANDER_ROOM, password: `guess-${i}` }]));
  }
}
await Promise.all(runs);
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
