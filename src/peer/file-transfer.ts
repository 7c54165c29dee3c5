/**
 * Files inside a direct chat: sent over the chat's end-to-end encrypted session (direct or through
 * the hub relay, which then carries only ciphertext), so they are never stored anywhere between.
 *
 *   sender                               receiver
 *   file-offer {name, size, sha256}  →   asks its user; nothing is written before the answer
 *                                    ←   file-accept {offset: 0}   (or file-cancel: refused)
 *   file-chunk {offset, data} …      →   appended to NAME.part, in order
 *   file-end                         →   size and SHA-256 of the whole file checked, then renamed
 *                                    ←   file-result {ok}
 *
 * Resume: when the session's transport drops and a new one comes up (PeerSession re-establishes it),
 * the receiver says how much it has safely written (file-accept {offset}) and the sender goes on from
 * there. Chunks at any other offset (stragglers of the old transport) are ignored.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rm, stat, type FileHandle } from "node:fs/promises";
import { EventEmitter } from "node:events";
import { basename, join } from "node:path";
import { FILE_CHUNK_BYTES, type FileFrame } from "./file-frames.js";
import { claimName, safeFileName } from "./save-file.js";
import type { PeerSession } from "./session.js";

export type TransferDirection = "send" | "receive";
export type TransferState = "offered" | "sending" | "receiving" | "checking" | "done" | "failed";

export interface Transfer {
  id: string;
  direction: TransferDirection;
  name: string;
  size: number;
  sha256: string;
  done: number;
  state: TransferState;
  /** Receiver: where the file was saved; sender: the file sent. */
  path?: string;
  /** Why it failed (refused, cancelled, hash mismatch …). */
  error?: string;
}

export interface FileTransferEvents {
  /** The peer offers a file: `accept(id, folder)` or `refuse(id)` it. */
  offer: [Transfer];
  progress: [Transfer];
  /** Finished: `state` is `done` or `failed`. */
  end: [Transfer];
}

/**
 * Through the hub relay, bytes beyond its budget (1 MiB/s, 4 MiB burst per connection) are dropped and
 * the session has to re-establish: a relayed transfer paces itself below it instead.
 */
const RELAY_PACE = { bytesPerSecond: 768 * 1024, burst: 2 * 1024 * 1024 };
/** Results remembered for transfers already finished, should their file-end come again after a reconnect. */
const REMEMBERED_RESULTS = 64;

interface Outgoing {
  transfer: Transfer;
  path: string;
  /** The offset to send from next; bumped by each resume request. */
  from: number | undefined;
  generation: number;
  settle(result: Transfer): void;
}

interface Incoming {
  transfer: Transfer;
  folder?: string;
  part?: string;
  handle?: FileHandle;
  /** Writes run one after another; `done` counts what is written. */
  writing: Promise<void>;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export class FileTransfers extends EventEmitter<FileTransferEvents> {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Incoming>();
  /** Outcomes of finished incoming transfers, by id, to answer a repeated file-end. */
  private readonly results = new Map<string, { ok: boolean; reason?: string }>();
  private relayTokens = RELAY_PACE.burst;
  private relayRefilled = Date.now();

  constructor(private readonly session: PeerSession) {
    super();
    session.on("file", (frame) => void this.onFrame(frame));
    session.on("path", (path) => {
      if (path !== null) this.resumeAll();
    });
    session.on("closed", () => {
      for (const out of this.outgoing.values()) this.failOut(out, "the direct chat ended");
      for (const inc of this.incoming.values()) void this.failIn(inc, "the direct chat ended");
    });
  }

  /** Transfers in progress or waiting for an answer. */
  get active(): Transfer[] {
    return [...this.outgoing.values(), ...this.incoming.values()].map((t) => t.transfer);
  }

  /** Offers the file at `path`; resolves when the peer saved it (state `done`) or it failed. */
  async send(path: string): Promise<Transfer> {
    const info = await stat(path);
    if (!info.isFile()) throw new Error(`${path} is not a file`);
    const transfer: Transfer = {
      id: randomUUID(),
      direction: "send",
      name: basename(path),
      size: info.size,
      sha256: await sha256Of(path),
      done: 0,
      state: "offered",
      path,
    };
    return new Promise<Transfer>((resolve) => {
      const out: Outgoing = { transfer, path, from: undefined, generation: 0, settle: resolve };
      this.outgoing.set(transfer.id, out);
      this.write({
        t: "file-offer",
        id: transfer.id,
        name: transfer.name,
        size: transfer.size,
        sha256: transfer.sha256,
      });
    });
  }

  /** Accepts an offer: the file is written to `folder` (created if missing) under a free name. */
  async accept(id: string, folder: string): Promise<void> {
    const inc = this.incoming.get(id);
    if (!inc || inc.transfer.state !== "offered") throw new Error("no such file offer is waiting");
    await mkdir(folder, { recursive: true });
    inc.folder = folder;
    inc.part = join(folder, `.${safeFileName(inc.transfer.name)}.${id.slice(0, 8)}.part`);
    inc.handle = await open(inc.part, "wx", 0o600);
    inc.transfer.state = "receiving";
    this.write({ t: "file-accept", id, offset: 0 });
    this.emit("progress", inc.transfer);
  }

  /** Refuses an offer (nothing was written). */
  refuse(id: string, reason = "refused"): void {
    const inc = this.incoming.get(id);
    if (!inc) return;
    this.write({ t: "file-cancel", id, reason });
    void this.failIn(inc, reason);
  }

  /** Cancels a transfer either way; the peer is told. */
  cancel(id: string, reason = "cancelled"): void {
    const out = this.outgoing.get(id);
    if (out) {
      this.write({ t: "file-cancel", id, reason });
      this.failOut(out, reason);
      return;
    }
    this.refuse(id, reason);
  }

  private write(frame: FileFrame): boolean {
    return this.session.sendFile(frame);
  }

  private async onFrame(frame: FileFrame): Promise<void> {
    switch (frame.t) {
      case "file-offer": {
        if (this.incoming.has(frame.id)) return;
        const transfer: Transfer = {
          id: frame.id,
          direction: "receive",
          name: safeFileName(frame.name),
          size: frame.size,
          sha256: frame.sha256,
          done: 0,
          state: "offered",
        };
        this.incoming.set(frame.id, { transfer, writing: Promise.resolve() });
        this.emit("offer", transfer);
        return;
      }
      case "file-accept": {
        const out = this.outgoing.get(frame.id);
        if (!out || frame.offset > out.transfer.size) return;
        out.transfer.state = "sending";
        out.from = frame.offset;
        out.transfer.done = frame.offset;
        void this.pump(out, ++out.generation);
        return;
      }
      case "file-chunk": {
        const inc = this.incoming.get(frame.id);
        if (!inc?.handle || inc.transfer.state !== "receiving") return;
        inc.writing = inc.writing.then(() => this.append(inc, frame.offset, frame.data));
        return;
      }
      case "file-end": {
        const inc = this.incoming.get(frame.id);
        const known = this.results.get(frame.id);
        // Our answer was lost with a transport: say it again.
        if (!inc && known) this.write({ t: "file-result", id: frame.id, ...known });
        if (!inc || inc.transfer.state !== "receiving") return;
        inc.writing = inc.writing.then(() => this.finish(inc));
        return;
      }
      case "file-result": {
        const out = this.outgoing.get(frame.id);
        if (!out) return;
        if (frame.ok) {
          out.transfer.state = "done";
          out.transfer.done = out.transfer.size;
          this.outgoing.delete(frame.id);
          this.emit("end", out.transfer);
          out.settle(out.transfer);
        } else {
          this.failOut(out, frame.reason ?? "the peer could not save it");
        }
        return;
      }
      case "file-cancel": {
        const out = this.outgoing.get(frame.id);
        if (out) this.failOut(out, frame.reason ?? "cancelled by the peer");
        const inc = this.incoming.get(frame.id);
        if (inc) await this.failIn(inc, frame.reason ?? "cancelled by the peer");
        return;
      }
    }
  }

  /** Sends chunks from `out.from` until the end, pausing for backpressure; stops if a resume restarts it. */
  private async pump(out: Outgoing, generation: number): Promise<void> {
    const { transfer } = out;
    const start = out.from ?? 0;
    const stream = createReadStream(out.path, { start, highWaterMark: FILE_CHUNK_BYTES });
    let offset = start;
    try {
      for await (const chunk of stream) {
        if (generation !== out.generation || !this.outgoing.has(transfer.id)) return;
        const bytes = chunk as Buffer;
        if (!this.write({ t: "file-chunk", id: transfer.id, offset, data: bytes.toString("base64") })) {
          return; // No transport: the receiver asks to resume when one is back.
        }
        offset += bytes.length;
        transfer.done = offset;
        this.emit("progress", transfer);
        await this.session.drained();
        if (this.session.path === "relay") await this.pace(bytes.length * 1.4);
      }
      if (generation === out.generation && offset === transfer.size)
        this.write({ t: "file-end", id: transfer.id });
    } finally {
      stream.destroy();
    }
  }

  /** Waits until `bytes` more may go through the relay (a token bucket under the hub's budget). */
  private async pace(bytes: number): Promise<void> {
    const now = Date.now();
    this.relayTokens = Math.min(
      RELAY_PACE.burst,
      this.relayTokens + ((now - this.relayRefilled) / 1000) * RELAY_PACE.bytesPerSecond,
    );
    this.relayRefilled = now;
    this.relayTokens -= bytes;
    if (this.relayTokens < 0) {
      await new Promise((resolve) =>
        setTimeout(resolve, (-this.relayTokens / RELAY_PACE.bytesPerSecond) * 1000),
      );
    }
  }

  private async append(inc: Incoming, offset: number, data: string): Promise<void> {
    const { transfer } = inc;
    if (!inc.handle || transfer.state !== "receiving" || offset !== transfer.done) return;
    const bytes = Buffer.from(data, "base64");
    if (transfer.done + bytes.length > transfer.size) {
      this.write({ t: "file-cancel", id: transfer.id, reason: "more bytes than offered" });
      return this.failIn(inc, "the sender sent more bytes than it offered");
    }
    await inc.handle.write(bytes, 0, bytes.length, offset);
    transfer.done += bytes.length;
    this.emit("progress", transfer);
  }

  private async finish(inc: Incoming): Promise<void> {
    const { transfer } = inc;
    if (!inc.handle || !inc.part || !inc.folder || transfer.state !== "receiving") return;
    transfer.state = "checking";
    await inc.handle.sync();
    await inc.handle.close();
    inc.handle = undefined;
    const hash = await sha256Of(inc.part);
    if (transfer.done !== transfer.size || hash !== transfer.sha256) {
      const reason =
        transfer.done !== transfer.size
          ? `got ${transfer.done} of ${transfer.size} bytes`
          : "the SHA-256 of what arrived is not the one offered";
      this.remember(transfer.id, { ok: false, reason });
      this.write({ t: "file-result", id: transfer.id, ok: false, reason });
      return this.failIn(inc, reason);
    }
    transfer.path = await claimName(inc.part, inc.folder, transfer.name);
    transfer.state = "done";
    this.incoming.delete(transfer.id);
    this.remember(transfer.id, { ok: true });
    this.write({ t: "file-result", id: transfer.id, ok: true });
    this.emit("end", transfer);
  }

  private remember(id: string, result: { ok: boolean; reason?: string }): void {
    this.results.set(id, result);
    if (this.results.size > REMEMBERED_RESULTS)
      this.results.delete(this.results.keys().next().value as string);
  }

  /**
   * A new transport: offers not answered yet go again (the first may have been lost), and every file
   * being received asks to go on from what it has written.
   */
  private resumeAll(): void {
    for (const out of this.outgoing.values()) {
      const t = out.transfer;
      if (t.state === "offered") {
        this.write({ t: "file-offer", id: t.id, name: t.name, size: t.size, sha256: t.sha256 });
      }
    }
    for (const inc of this.incoming.values()) {
      if (inc.transfer.state !== "receiving") continue;
      inc.writing = inc.writing.then(() => {
        this.write({ t: "file-accept", id: inc.transfer.id, offset: inc.transfer.done });
      });
    }
  }

  private failOut(out: Outgoing, reason: string): void {
    if (!this.outgoing.delete(out.transfer.id)) return;
    out.generation++;
    out.transfer.state = "failed";
    out.transfer.error = reason;
    this.emit("end", out.transfer);
    out.settle(out.transfer);
  }

  private async failIn(inc: Incoming, reason: string): Promise<void> {
    if (!this.incoming.delete(inc.transfer.id)) return;
    inc.transfer.state = "failed";
    inc.transfer.error = reason;
    await inc.handle?.close().catch(() => {});
    inc.handle = undefined;
    // A cancelled or broken transfer leaves nothing behind; the part file is ours alone.
    if (inc.part) await rm(inc.part, { force: true });
    this.emit("end", inc.transfer);
  }
}
