/**
 * A minimal IRC client for the load generator: registration (PASS/NICK/USER), JOIN, PRIVMSG, PING replies.
 * Lines are handed over as Buffer slices with one clock read per socket read, like the WebSocket client.
 */
import net from "node:net";
import type { MicroClock } from "./clock.js";

export class IrcConn {
  /** Every received line (without CR LF); setup waiters see the lines this does not consume. */
  onLine: (line: Buffer, nowUs: number) => boolean = () => false;
  onClose: (reason: string) => void = () => {};
  closed = false;
  private pending: Buffer | null = null;
  private waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];

  private constructor(
    readonly socket: net.Socket,
    private readonly clock: MicroClock,
  ) {
    socket.on("data", (chunk: Buffer) => this.feed(chunk));
    const end = (why: string): void => {
      if (this.closed) return;
      this.closed = true;
      this.onClose(why);
    };
    socket.on("error", (err) => end(`error: ${err.message}`));
    socket.on("close", () => end("closed"));
  }

  static connect(host: string, port: number, clock: MicroClock, timeoutMs = 10_000): Promise<IrcConn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`IRC connect timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new IrcConn(socket, clock));
      });
    });
  }

  /**
   * Registers and joins `channel` (if given); resolves on the welcome, or on the end of the NAMES list,
   * after which the channel's messages will arrive.
   */
  async register(nick: string, channel?: string, timeoutMs = 30_000, pass?: string): Promise<void> {
    const welcome = this.waitFor((l) => / 001 /.test(l) || / 4\d\d /.test(l), timeoutMs);
    // Waiting for the channel's end of NAMES from the start: a Parley hub shows the rooms an account is
    // already in (the room's creator) right after 001, possibly in the same read, and ignores the JOIN.
    // The end of NAMES, or a refusal naming the channel (not 422 "no MOTD" and the like).
    const endOfNames = new RegExp(` (366|4\\d\\d) \\S+ ${channel ?? ""}( |$)`);
    const joined = channel ? this.waitFor((l) => endOfNames.test(l), timeoutMs) : undefined;
    joined?.catch(() => {}); // awaited below unless registration fails first
    this.send(`${pass ? `PASS ${pass}\r\n` : ""}NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
    const w = await welcome;
    if (!/ 001 /.test(w)) throw new Error(`IRC registration failed: ${w}`);
    if (!channel) return;
    this.send(`JOIN ${channel}\r\n`);
    const j = await joined!;
    if (!/ 366 /.test(j)) throw new Error(`IRC join failed: ${j}`);
  }

  send(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  close(): void {
    if (this.closed) return;
    this.socket.end("QUIT :bye\r\n");
  }

  destroy(): void {
    this.socket.destroy();
  }

  private waitFor(test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`IRC: no expected reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private feed(chunk: Buffer): void {
    const now = this.clock();
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const lineEnd = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = buf.subarray(start, lineEnd);
      start = nl + 1;
      if (this.onLine(line, now)) continue;
      this.control(line);
    }
    this.pending = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }

  private control(line: Buffer): void {
    const text = line.toString("latin1");
    if (text.startsWith("PING")) {
      this.send(`PONG${text.slice(4)}\r\n`);
      return;
    }
    const i = this.waiters.findIndex((w) => w.test(text));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w!.resolve(text);
    }
  }
}
