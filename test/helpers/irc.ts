/** A raw IRC client for tests: plain or TLS socket, lines in, waits for lines out. No IRC library. */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { parseLine, type IrcMessage } from "../../src/hub/gateway/irc/line.js";

export class IrcTestClient {
  readonly lines: string[] = [];
  private buffer = "";
  private waiters: Array<() => void> = [];
  closed = false;
  /** Index of the first line not yet consumed by `expect`. */
  private cursor = 0;

  private constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) !== -1) {
        this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ""));
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(port: number, opts: { tls?: boolean } = {}): Promise<IrcTestClient> {
    const socket = opts.tls
      ? tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false })
      : netConnect({ port, host: "127.0.0.1" });
    await new Promise<void>((ok, fail) => {
      socket.once(opts.tls ? "secureConnect" : "connect", () => ok());
      socket.once("error", fail);
    });
    return new IrcTestClient(socket);
  }

  send(line: string | Buffer): void {
    this.socket.write(typeof line === "string" ? line + "\r\n" : line);
  }

  /** Waits for the next line (after those already consumed) matching `pred`; returns it parsed. */
  async expect(pred: (m: IrcMessage, raw: string) => boolean, timeoutMs = 5000): Promise<IrcMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.lines.length) {
        const raw = this.lines[this.cursor++]!;
        const parsed = parseLine(Buffer.from(raw));
        if (parsed.ok && pred(parsed.message, raw)) return parsed.message;
      }
      if (this.closed) throw new Error(`connection closed; lines:\n${this.lines.join("\n")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; lines:\n${this.lines.join("\n")}`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, left);
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  /** Waits for a line with this command (and, optionally, these first params). */
  expectCommand(command: string, ...params: string[]): Promise<IrcMessage> {
    return this.expect((m) => m.command === command && params.every((p, i) => m.params[i] === p));
  }

  /** Sends PING and returns every line up to its PONG (what the server answered before it). */
  async sync(): Promise<IrcMessage[]> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    const start = this.cursor;
    this.send(`PING ${token}`);
    await this.expect((m) => m.command === "PONG" && m.params.includes(token));
    return this.lines
      .slice(start, this.cursor - 1)
      .map((raw) => parseLine(Buffer.from(raw)))
      .flatMap((p) => (p.ok ? [p.message] : []));
  }

  /** Registers with SASL PLAIN and waits for 001; returns the lines up to the end of the welcome. */
  async saslLogin(username: string, password: string, caps: string[] = []): Promise<void> {
    this.send("CAP LS 302");
    await this.expectCommand("CAP");
    this.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
    await this.expect((m) => m.command === "CAP" && m.params[1] === "ACK");
    this.send("AUTHENTICATE PLAIN");
    await this.expectCommand("AUTHENTICATE", "+");
    this.send(`AUTHENTICATE ${Buffer.from(`\0${username}\0${password}`).toString("base64")}`);
    await this.expectCommand("903");
    this.send(`NICK ${username}`);
    this.send(`USER ${username} 0 * :${username}`);
    this.send("CAP END");
    await this.expectCommand("001");
    await this.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.destroy();
    await new Promise((ok) => setTimeout(ok, 10));
  }
}
