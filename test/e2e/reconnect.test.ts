/**
 * `parley chat` when the hub goes away: the status line says so, what you type meanwhile waits (shown
 * pending) and is delivered exactly once when the hub is back; and a hub whose certificate changed is
 * refused with the fingerprints and the command to accept it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParleyClient } from "../../src/client/index.js";
import { CLI, ROOT, spawnHub, startHub, tempDir } from "../helpers/hub.js";
import { STARTUP_MS, Terminal, haveTmux } from "./tmux.js";

let work: string;
const cleanup: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "parley-e2e-"));
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await rm(work, { recursive: true, force: true });
});

function chat(name: string, url: string): Terminal {
  const term = Terminal.open({
    name,
    command: [process.execPath, "--import", "tsx", CLI, "chat", url],
    cwd: ROOT,
    workDir: work,
    env: { PARLEY_CONFIG_DIR: join(work, `config-${name}`), TERM: "xterm-256color" },
  });
  cleanup.push(() => term.close());
  return term;
}

async function register(term: Terminal, username: string, password: string): Promise<void> {
  await term.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
  term.press("r");
  await term.waitFor("Username:");
  term.line(username);
  await term.waitFor(/^ Password: ?$/m);
  term.line(password);
  await term.waitFor("Password again:");
  term.line(password);
  await term.waitFor("First name");
  term.press("Enter");
  await term.waitFor("Last name");
  term.press("Enter");
  await term.waitFor(`Welcome, ${username}.`);
}

describe.skipIf(!haveTmux())("parley chat across hub trouble (tmux)", () => {
  it(
    "the hub is killed and restarted: reconnecting, then online; a message typed meanwhile arrives once",
    { timeout: 180_000 },
    async () => {
      const dataDir = await tempDir();
      cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
      const first = await spawnHub({ dataDir });
      cleanup.push(() => first.stop());

      const alice = chat("alice", first.url);
      await register(alice, "alice", "correct horse 1");
      alice.line("/create lobby");
      await alice.waitFor(/\[online\]\s+#lobby \(owner\)/);

      const bob = new ParleyClient({ urls: first.url, configDir: join(work, "config-bob") });
      cleanup.push(() => bob.close());
      await bob.connect();
      await bob.register({ username: "bob", password: "battery staple 2" });
      await bob.login("bob", "battery staple 2");
      await bob.joinRoom("lobby");
      await alice.waitFor("bob joined #lobby");

      await first.kill("SIGKILL");
      await alice.waitFor(/\[(reconnecting in \d+s|connecting[^\]]*)\]/);
      alice.line("typed while the hub was down");
      // Shown at once, dimmed and marked pending until the hub has it.
      await alice.waitFor("<alice> typed while the hub was down …");

      const second = await spawnHub({ dataDir, args: ["--port", String(first.port)] });
      cleanup.push(() => second.stop());
      await alice.waitFor(/\[online\]\s+#lobby \(owner\)/, { timeoutMs: 45_000 });
      await alice.waitFor((s) => s.includes("<alice> typed while the hub was down") && !s.includes("down …"));

      const deadline = Date.now() + 20_000;
      const copies = (): number =>
        (bob.state.rooms["lobby"]?.messages ?? []).filter((m) => m.body === "typed while the hub was down")
          .length;
      while (copies() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(copies()).toBe(1);
      // Nothing doubled on alice's screen either.
      expect(alice.screen().split("typed while the hub was down").length - 1).toBe(1);
      // The status view keeps a record of the outage.
      alice.press("M-1");
      await alice.waitFor("Lost the connection to the hub");
      await alice.waitFor("Reconnected; missed messages are being fetched");
    },
  );

  it(
    "a hub with a changed certificate is refused with both fingerprints and the command to accept it",
    { timeout: 180_000 },
    async () => {
      const original = await startHub();
      const port = original.port;
      const before = chat("alice", original.url);
      await before.waitFor("TLS fingerprint:", { timeoutMs: STARTUP_MS });
      expect(before.screen().replace(/\s+/g, "")).toContain(original.fingerprint ?? "missing");
      before.press("C-c");
      await before.waitFor(() => before.exitStatus() !== null);
      expect(before.exitStatus()).toBe(0);
      await original.stop();

      // Same address, new data folder: a new self-signed certificate.
      const impostor = await startHub({ config: { port } });
      cleanup.push(() => impostor.stop());
      expect(impostor.fingerprint).not.toBe(original.fingerprint);
      // The same config folder as before, where the first certificate is pinned.
      const again = Terminal.open({
        name: "alice-3",
        command: [process.execPath, "--import", "tsx", CLI, "chat", impostor.url],
        cwd: ROOT,
        workDir: work,
        env: { PARLEY_CONFIG_DIR: join(work, "config-alice"), TERM: "xterm-256color" },
      });
      cleanup.push(() => again.close());
      await again.waitFor(() => again.exitStatus() !== null, { timeoutMs: STARTUP_MS });
      expect(again.exitStatus()).toBe(1);
      // tmux's "Pane is dead" line scrolls the first line off the screen: read the history too.
      const screen = again.history().replace(/\s+/g, " ");
      expect(screen).toContain(`WARNING: the TLS certificate of the hub at 127.0.0.1:${port} has changed.`);
      expect(screen).toContain(`parley trust wss://127.0.0.1:${port}`);
      expect(screen.replace(/ /g, "")).toContain(impostor.fingerprint ?? "missing");
    },
  );
});
