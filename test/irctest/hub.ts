/**
 * A hub for the irctest conformance suite (test/irctest/parley_controller.py starts one per test):
 * a temporary data folder, IRC on the port given, guests on (irctest's clients connect with a bare
 * NICK), `--irc-prefixes o` (the suite expects a channel's creator to be `@`), rate limits off (the
 * suite connects and sends faster than any person), and the server admin `operuser` (password
 * `operpassword`, as irctest's other controllers configure their operator) for the `OPER` tests. It
 * prints `ready` once listening, then reads commands on stdin:
 *
 *   register <username> <password>   — creates an account for the suite's SASL tests. This is fixture
 *                                       set-up, written to the store directly: irctest's passwords
 *                                       ("sesame") are shorter than the hub's password rule allows.
 *                                       A guest of that name that is still closing is waited for
 *                                       (guests are deleted when their connection ends).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pino from "pino";
import type * as Server from "../../src/hub/server.js";
import type * as Passwords from "../../src/hub/domain/passwords.js";

// One hub per test: the compiled hub (npm run build) starts in a fraction of the time tsx needs to
// compile the sources, so it is used when present.
const compiled = fileURLToPath(new URL("../../dist/hub/server.js", import.meta.url));
const base = existsSync(compiled) ? "../../dist/hub" : "../../src/hub";
const { createHub } = (await import(`${base}/server.js`)) as typeof Server;
const { hashPassword } = (await import(`${base}/domain/passwords.js`)) as typeof Passwords;

const [host = "127.0.0.1", port = "6667", tlsPort] = process.argv.slice(2);
const dataDir = await mkdtemp(join(tmpdir(), "parley-irctest-"));
const hub = await createHub(
  {
    host,
    port: 0,
    dataDir,
    insecure: tlsPort === undefined,
    ircPort: Number(port),
    ...(tlsPort !== undefined && { ircTlsPort: Number(tlsPort) }),
    ircGuests: true,
    ircPrefixes: "o",
    // The suite's tests expect this name (as its other controllers configure).
    ircServerName: "My.Little.Server",
    rateLimits: false,
    web: false,
  },
  { log: pino({ level: process.env["PARLEY_IRCTEST_LOG"] ?? "silent" }) },
);
// irctest's operator (its ergo controller's `opers` block): a server admin account.
const { store } = hub.domain.deps;
const oper = await store.createUser({
  username: "operuser",
  displayName: "operuser",
  passwordHash: await hashPassword("operpassword"),
  createdAt: Date.now(),
});
await store.setServerAdmin(oper.id, true);
process.stdout.write("ready\n");

// The suite stops a hub after every test: its data is thrown away, so no graceful drain.
const stop = async () => {
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

for await (const line of createInterface({ input: process.stdin })) {
  const [command, username, password] = line.trim().split(/\s+/);
  if (command === "register" && username && password) {
    try {
      // A guest of that name whose connection just closed is being deleted: wait for that (≤ 2 s).
      for (let i = 0; i < 40 && (await store.getUserByName(username)); i++) {
        await new Promise((ok) => setTimeout(ok, 50));
      }
      await store.createUser({
        username,
        displayName: username,
        passwordHash: await hashPassword(password),
        createdAt: Date.now(),
      });
      process.stdout.write("ok\n");
    } catch (error) {
      process.stdout.write(`error ${(error as Error).message}\n`);
    }
  }
}
