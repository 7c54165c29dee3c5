/**
 * A real terminal for end-to-end tests: one tmux server per terminal (its own socket, so tests never
 * see each other), a fixed window size, keys in with send-keys, the screen out with capture-pane, and
 * every terminal bell counted through tmux's alert-bell hook. Waits poll the screen with a deadline;
 * nothing sleeps for a fixed time.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface TerminalOptions {
  /** A name for messages (e.g. "alice"). */
  name: string;
  /** The program and its arguments. */
  command: readonly string[];
  cwd: string;
  env?: Record<string, string>;
  /** Folder for the bell log. */
  workDir: string;
  width?: number;
  height?: number;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Capture with escape sequences (colours) instead of plain text. */
  escapes?: boolean;
}

const POLL_MS = 100;
/** A screen change after a keystroke: generous, because CI shares two cores among many tests. */
const DEFAULT_WAIT_MS = 20_000;
/** Starting `parley chat` under tsx compiles the app first: several seconds on a busy machine. */
export const STARTUP_MS = 60_000;

function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export class Terminal {
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly socket: string,
    private readonly bellFile: string,
    private readonly statusFile: string,
  ) {}

  static open(opts: TerminalOptions): Terminal {
    const socket = `parley-e2e-${process.pid}-${opts.name}-${Math.random().toString(36).slice(2, 8)}`;
    const bellFile = join(opts.workDir, `${opts.name}.bells`);
    const statusFile = join(opts.workDir, `${socket}.status`);
    const term = new Terminal(opts.name, socket, bellFile, statusFile);
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
    // Not `exec`, and the status written to a file: tmux 3.3a here often leaves an exited node process
    // unreaped (a zombie), so pane_dead_status never comes. The shell waits for the program and records
    // how it ended.
    const run = `env ${env.join(" ")} ${opts.command.map(quote).join(" ")}`;
    const shell = `cd ${quote(opts.cwd)} && ${run}; code=$?; echo $code > ${quote(statusFile)}; exit $code`;
    term.tmux(
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      String(opts.width ?? 100),
      "-y",
      String(opts.height ?? 30),
      shell,
    );
    // Keep the pane after the program exits, so a test can read its last words and exit status.
    term.tmux("set-option", "-g", "remain-on-exit", "on");
    term.tmux("set-option", "-g", "monitor-bell", "on");
    term.tmux("set-hook", "-g", "alert-bell", `run-shell "echo bell >> ${bellFile}"`);
    return term;
  }

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8", timeout: 5000 });
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux("send-keys", "-t", "main", "-l", text);
  }

  /** Presses keys by tmux name: Enter, Escape, M-1 (Alt+1), C-n, PPage, NPage … */
  press(...keys: string[]): void {
    this.tmux("send-keys", "-t", "main", ...keys);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.press("Enter");
  }

  screen(escapes = false): string {
    return this.tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", "main");
  }

  /** The screen and everything scrolled off it (e.g. what a program printed before it exited). */
  history(): string {
    return this.tmux("capture-pane", "-p", "-S", "-", "-t", "main");
  }

  /** Lines of the screen with trailing spaces removed. */
  rows(): string[] {
    return this.screen()
      .split("\n")
      .map((r) => r.trimEnd());
  }

  /** Waits until the screen matches; throws with the screen as it was at the deadline. */
  async waitFor(
    match: string | RegExp | ((screen: string) => boolean),
    opts: WaitOptions = {},
  ): Promise<string> {
    const test =
      typeof match === "function"
        ? match
        : typeof match === "string"
          ? (s: string) => s.includes(match)
          : (s: string) => match.test(s);
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_WAIT_MS);
    let screen = "";
    while (Date.now() < deadline) {
      screen = this.screen(opts.escapes);
      if (test(screen)) return screen;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`${this.name}: timed out waiting for ${String(match)}; the screen was:\n${screen}`);
  }

  /** How many times the program rang the terminal bell. */
  bells(): number {
    if (!existsSync(this.bellFile)) return 0;
    return readFileSync(this.bellFile, "utf8")
      .split("\n")
      .filter((l) => l === "bell").length;
  }

  async waitForBells(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.bells() >= n) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`${this.name}: expected ${n} bell(s), heard ${this.bells()}`);
  }

  /** The program's exit status once it has exited (128 + n when killed by signal n), else null. */
  exitStatus(): number | null {
    if (existsSync(this.statusFile)) {
      const recorded = readFileSync(this.statusFile, "utf8").trim();
      if (recorded !== "") return Number(recorded);
    }
    const [dead, status, signal] = this.tmux(
      "display-message",
      "-p",
      "-t",
      "main",
      "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}",
    )
      .trim()
      .split(":");
    // tmux may mark the pane dead a moment before it has recorded how the program ended.
    if (dead !== "1" || (!status && !signal)) return null;
    return status ? Number(status) : 128 + Number(signal);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.tmux("kill-server");
    } catch {
      // Already gone (the server exits with its last session).
    }
  }
}

/** True when tmux can be run here. */
export function haveTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { encoding: "utf8" });
    return true;
  } catch {
    return false;
  }
}
