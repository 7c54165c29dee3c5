/**
 * /sendfile in `parley chat`, end to end: two real CLIs in tmux against a real hub over TLS open a
 * direct chat; one offers a file, the other sees its name and size, accepts it, both see a progress
 * bar, and the file arrives whole (SHA-256 checked) in the receiver's download folder. A second offer
 * is refused and nothing is written.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, startHub, type TestHub } from "../helpers/hub.js";
import { STARTUP_MS, Terminal, haveTmux } from "./tmux.js";

const WIDTH = 100;
const HEIGHT = 30;

let hub: TestHub;
let work: string;
const terminals: Terminal[] = [];

function chat(name: string, env: Record<string, string> = {}): Terminal {
  const term = Terminal.open({
    name,
    command: [process.execPath, "--import", "tsx", CLI, "chat", hub.url, "--no-color"],
    cwd: ROOT,
    workDir: work,
    width: WIDTH,
    height: HEIGHT,
    env: {
      PARLEY_CONFIG_DIR: join(work, `config-${name}`),
      TERM: "xterm-256color",
      PARLEY_P2P_LISTEN: "127.0.0.1",
      ...env,
    },
  });
  terminals.push(term);
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

/** The message pane's text with wrapped lines joined (the pane is right of the sidebar's bar). */
function paneText(screen: string): string {
  return screen
    .split("\n")
    .slice(1, HEIGHT - 4)
    .map((r) => {
      const bar = r.indexOf("│");
      return bar === -1 ? "" : r.slice(bar + 1).trim();
    })
    .join(" ")
    .replace(/\s+/g, " ");
}

function sees(term: Terminal, phrase: string | RegExp): Promise<string> {
  return term.waitFor((screen) =>
    typeof phrase === "string" ? paneText(screen).includes(phrase) : phrase.test(paneText(screen)),
  );
}

/** The status line: the row that starts with the connection state. */
function statusLine(term: Terminal): string {
  return term.rows().find((r) => /^ \[(online|connecting|reconnecting|offline)/.test(r)) ?? "";
}

function statusShows(term: Terminal, text: string): Promise<string> {
  return term.waitFor(() => statusLine(term).includes(text));
}

function count(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}

/** `asker` asks `asked` with /p2p; `asked` sees the (new) question and types y. */
async function openDirectChat(
  asker: Terminal,
  askerName: string,
  asked: Terminal,
  askedName: string,
): Promise<void> {
  const question = `${askerName} wants a direct chat — accept? (y/n)`;
  const before = count(paneText(asked.screen()), question);
  asker.line(`/p2p ${askedName}`);
  await asked.waitFor((screen) => count(paneText(screen), question) > before);
  asked.line("y");
}

describe.skipIf(!haveTmux())("files in direct chats in parley chat (tmux)", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "parley-e2e-sendfile-"));
    hub = await startHub();
  });

  afterAll(async () => {
    for (const t of terminals) t.close();
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    "/sendfile: offer with name and size, accept, progress on both sides, the file arrives whole; refuse writes nothing",
    { timeout: 240_000 },
    async () => {
      const downloads = join(work, "downloads");
      await mkdir(downloads);
      const alice = chat("alice");
      const bob = chat("bob", { XDG_DOWNLOAD_DIR: downloads });
      await register(alice, "alice", "correct horse 1");
      await register(bob, "bob", "battery staple 2");
      await openDirectChat(alice, "alice", bob, "bob");
      await statusShows(alice, "@bob [p2p direct]");
      await statusShows(bob, "@alice [p2p direct]");

      const bytes = randomBytes(20 * 1024 * 1024);
      const path = join(work, "holiday.bin");
      await writeFile(path, bytes);
      alice.line(`/sendfile ${path}`);
      await sees(bob, "alice offers a file: holiday.bin (20 MiB) — /acceptfile [PATH] saves it");
      expect(await readdir(downloads)).toEqual([]);
      bob.line("/acceptfile");
      await alice.waitFor(/sending holiday\.bin \[[#-]{20}\] \d+%/);
      await bob.waitFor(/receiving holiday\.bin \[[#-]{20}\] \d+%/);
      await sees(bob, `Saved holiday.bin (20 MiB, SHA-256 checked) to ${join(downloads, "holiday.bin")}`);
      await sees(alice, "bob received holiday.bin (20 MiB, SHA-256 checked)");
      const got = await readFile(join(downloads, "holiday.bin"));
      expect(createHash("sha256").update(got).digest("hex")).toBe(
        createHash("sha256").update(bytes).digest("hex"),
      );

      const other = join(work, "other.txt");
      await writeFile(other, "not wanted\n");
      alice.line(`/sendfile ${other}`);
      await sees(bob, "alice offers a file: other.txt (11 B)");
      bob.line("/refusefile");
      await sees(alice, "Sending other.txt failed: refused");
      expect(await readdir(downloads)).toEqual(["holiday.bin"]);
    },
  );
});
