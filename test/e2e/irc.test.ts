/**
 * The IRC gateway with real IRC clients (issue 14): irssi in a terminal (tmux) and WeeChat headless
 * (its logs read back), against a real hub over TLS, with a `parley chat` user in another terminal.
 * Each client connects with SASL, joins a password room, sees its history, chats both ways with the
 * Parley user (formatting converted both ways), receives a DM sent while it was offline, and is kicked.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, startHub, type TestHub } from "../helpers/hub.js";
import type { RunningHub } from "../../src/hub/server.js";
import { STARTUP_MS, Terminal, haveTmux } from "./tmux.js";

const PASSWORD = "correct horse 1";
const ROOM_KEY = "loungekey9";

function have(program: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

let hub: TestHub & { hub: RunningHub };
let work: string;
let ircPort: number;
const terminals: Terminal[] = [];

function terminal(name: string, command: string[], env: Record<string, string> = {}): Terminal {
  const term = Terminal.open({
    name,
    command,
    cwd: ROOT,
    workDir: work,
    width: 120,
    height: 40,
    env: { TERM: "xterm-256color", ...env },
  });
  terminals.push(term);
  return term;
}

/** `parley chat` logged in as carol, in her room #lounge. */
async function carolInParleyChat(): Promise<Terminal> {
  const carol = terminal("carol", [process.execPath, "--import", "tsx", CLI, "chat", hub.url], {
    PARLEY_CONFIG_DIR: join(work, "config-carol"),
  });
  await carol.waitFor("Press l to log in or r to register", { timeoutMs: STARTUP_MS });
  carol.press("l");
  await carol.waitFor("Username:");
  carol.line("carol");
  await carol.waitFor(/^ Password: ?$/m);
  carol.line(PASSWORD);
  await carol.waitFor(/\[online\].*\scarol\s*$/m);
  return carol;
}

/** The text of a screen with escape sequences, reduced to whether `word` is shown bold. */
function showsBold(screen: string, word: string): boolean {
  return new RegExp(`\\x1b\\[[0-9;]*1[0-9;]*m[^\\x1b]*${word}`).test(screen);
}

describe.skipIf(!haveTmux() || !have("irssi") || !have("weechat-headless"))(
  "IRC clients on the gateway: irssi and WeeChat",
  () => {
    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), "parley-irc-e2e-"));
      hub = await startHub({ config: { ircTlsPort: 0 } });
      ircPort = hub.hub.irc!.tlsPort!;
      for (const u of ["alice", "bob", "carol"]) {
        await hub.hub.domain.accounts.register({ username: u, password: PASSWORD }, "127.0.0.1");
      }
    });

    afterAll(async () => {
      for (const t of terminals) t.close();
      await hub?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it(
      "irssi: SASL, offline DM, password room with history, chat both ways with formatting, kicked",
      { timeout: 240_000 },
      async () => {
        const carol = await carolInParleyChat();
        carol.line(`/create lounge --password ${ROOM_KEY}`);
        await carol.waitFor(/#lounge \(owner\)/);
        carol.line("said before irc");
        await carol.waitFor("<carol> said before irc");
        // A DM while alice is not connected anywhere.
        carol.line("/msg alice hello while you were away");
        await carol.waitFor("hello while you were away");

        const home = join(work, "irssi-alice");
        await mkdir(home, { recursive: true });
        writeFileSync(
          join(home, "config"),
          `servers = ({ address = "127.0.0.1"; chatnet = "parley"; port = "${ircPort}"; use_tls = "yes"; tls_verify = "no"; autoconnect = "yes"; });
chatnets = { parley = { type = "IRC"; sasl_mechanism = "PLAIN"; sasl_username = "alice"; sasl_password = "${PASSWORD}"; }; };
settings = { core = { real_name = "Alice"; user_name = "alice"; nick = "alice"; }; };
`,
        );
        const alice = terminal("alice", ["irssi", `--home=${home}`]);
        // Logged in by SASL; the DM sent while she was away opens a query window.
        await alice.waitFor(/Welcome to the Parley Parley hub, alice/, { timeoutMs: 30_000 });
        alice.line("/window goto carol");
        await alice.waitFor("hello while you were away");

        alice.line("/window 1");
        alice.line(`/join #lounge wrongkey`);
        await alice.waitFor(/Cannot join to channel #lounge \(Bad channel key\)|wrong password/);
        alice.line(`/join #lounge ${ROOM_KEY}`);
        await alice.waitFor(/alice .*has joined #lounge/);
        // History on join.
        await alice.waitFor("said before irc");

        // Parley → IRC: Markdown becomes mIRC bold, shown bold by irssi.
        carol.line("hello **irc** friends");
        await alice.waitFor("hello irc friends");
        expect(showsBold(alice.screen(true), "irc")).toBe(true);

        // IRC → Parley: Ctrl+B in irssi becomes **bold**, shown bold by parley chat.
        alice.type("hi ");
        alice.press("C-b");
        alice.type("parley");
        alice.press("C-b");
        alice.press("Enter");
        await carol.waitFor("<alice> hi parley");
        expect(showsBold(carol.screen(true), "parley")).toBe(true);

        // Kicked by the owner from her Parley client.
        carol.line("/kick alice enough for today");
        await alice.waitFor(/alice was kicked from #lounge by carol/);
      },
    );

    it(
      "WeeChat: SASL, offline DM, password room with history, chat both ways with formatting, kicked",
      { timeout: 240_000 },
      async () => {
        const carol = terminals.find((t) => t.name === "carol") ?? (await carolInParleyChat());
        carol.line(`/create deck --password ${ROOM_KEY}`);
        await carol.waitFor(/#deck \(owner\)/);
        carol.line("deck history line");
        await carol.waitFor("<carol> deck history line");
        carol.line("/msg bob hello bob while you were away");
        await carol.waitFor("hello bob while you were away");

        const dir = join(work, "weechat-bob");
        await mkdir(dir, { recursive: true });
        const fifo = join(dir, "fifo");
        // WeeChat 4 renamed its "ssl" options "tls".
        const major = Number(
          execFileSync("weechat-headless", ["--version"], { encoding: "utf8" }).split(".")[0],
        );
        const tls = major >= 4 ? "tls" : "ssl";
        const setup = [
          "/set logger.file.flush_delay 0",
          "/set logger.file.color_lines on",
          `/set fifo.file.path ${fifo}`,
          `/server add parley 127.0.0.1/${ircPort} -${tls}`,
          `/set irc.server.parley.${tls}_verify off`,
          "/set irc.server.parley.sasl_mechanism plain",
          "/set irc.server.parley.sasl_username bob",
          `/set irc.server.parley.sasl_password "${PASSWORD}"`,
          "/set irc.server.parley.nicks bob",
          "/connect parley",
        ].join(";");
        terminal("bob", ["weechat-headless", "--dir", dir, "-r", setup]);
        const logs = join(dir, "logs");
        const log = (name: string) => {
          if (!existsSync(logs)) return "";
          const file = readdirSync(logs).find((f) => f.toLowerCase().includes(name.toLowerCase()));
          return file ? readFileSync(join(logs, file), "utf8") : "";
        };
        const until = async (what: () => boolean, label: string, ms = 30_000) => {
          const end = Date.now() + ms;
          while (!what()) {
            if (Date.now() > end) {
              const all = readdirSync(logs).map((f) => `== ${f}\n${readFileSync(join(logs, f), "utf8")}`);
              throw new Error(`timed out waiting for ${label}; logs:\n${all.join("\n")}`);
            }
            await new Promise((ok) => setTimeout(ok, 200));
          }
        };
        const say = (buffer: string, text: string) => writeFileSync(fifo, `${buffer} *${text}\n`);
        // Connected with SASL; the offline DM is in bob's private buffer with carol.
        await until(
          () => log("irc.parley.carol").includes("hello bob while you were away"),
          "the offline DM",
        );
        say("irc.server.parley", `/join #deck ${ROOM_KEY}`);
        await until(() => log("#deck").includes("deck history line"), "history on join");

        carol.line("see **you** in weechat");
        // With color_lines the log keeps WeeChat's own attributes: bold is ESC [1m.
        await until(() => /see .*you.* in weechat/.test(log("#deck")), "carol's message");
        expect(showsBold(log("#deck"), "you")).toBe(true);

        say("irc.parley.#deck", "from weechat with \x02bold\x02 text");
        await carol.waitFor("<bob> from weechat with bold text");
        expect(showsBold(carol.screen(true), "bold")).toBe(true);

        carol.line("/kick bob that is all");
        await until(() => /kicked.*bob|bob.*kicked/i.test(log("#deck")), "the kick");
      },
    );
  },
);
