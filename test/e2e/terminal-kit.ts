/**
 * What several tmux tests of `parley chat` do alike: start the CLI in a terminal, register, read the
 * message pane (wrapped rows joined) and the status line, and open a direct chat. (chat.test.ts and
 * p2p.test.ts predate it and keep their own copies.)
 */
import { join } from "node:path";
import { CLI, ROOT } from "../helpers/hub.js";
import { STARTUP_MS, Terminal } from "./tmux.js";

export interface KitOptions {
  width: number;
  height: number;
  hubUrl(): string;
  workDir(): string;
  /** Environment for every terminal (e.g. PARLEY_P2P_LISTEN). */
  env?: Record<string, string>;
}

export function terminalKit(opts: KitOptions) {
  const terminals: Terminal[] = [];

  function chat(name: string, env: Record<string, string> = {}): Terminal {
    const term = Terminal.open({
      name,
      command: [process.execPath, "--import", "tsx", CLI, "chat", opts.hubUrl(), "--no-color"],
      cwd: ROOT,
      workDir: opts.workDir(),
      width: opts.width,
      height: opts.height,
      env: {
        PARLEY_CONFIG_DIR: join(opts.workDir(), `config-${name}`),
        TERM: "xterm-256color",
        ...opts.env,
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

  /** The message pane's text with wrapped rows joined (the pane is right of the sidebar's bar). */
  function paneText(screen: string): string {
    return screen
      .split("\n")
      .slice(1, opts.height - 4)
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

  /** `asker` asks `asked` with /p2p; `asked` sees the question and types y. */
  async function openDirectChat(asker: Terminal, askerName: string, asked: Terminal): Promise<void> {
    const question = `${askerName} wants a direct chat — accept? (y/n)`;
    const count = (screen: string) => paneText(screen).split(question).length - 1;
    const before = count(asked.screen());
    asker.line(`/p2p ${asked.name}`);
    await asked.waitFor((screen) => count(screen) > before);
    asked.line("y");
  }

  return {
    chat,
    register,
    paneText,
    sees,
    statusLine,
    statusShows,
    openDirectChat,
    closeAll: () => terminals.forEach((t) => t.close()),
  };
}
