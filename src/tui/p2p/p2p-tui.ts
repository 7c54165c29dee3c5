/**
 * The TUI side of peer-to-peer chats: starts the SDK's PeerChats, turns its requests into a y/n
 * question, shows a direct chat inside the DM view of that person (so the conversation stays in one
 * place when it falls back to stored DMs), sends what is typed there over the direct chat, and tells
 * the user about paths, fallbacks and changed keys.
 */
import {
  dmKey,
  type DirectChat,
  type IncomingRequest,
  type KeyWarning,
  type PeerChats,
  type RequestGone,
} from "../../client/index.js";
import type { Trust } from "../../peer/contacts.js";
import { encryptionWords, trustWord } from "./verify.js";
import type { NoticeLevel } from "../model/lines.js";
import { STATUS_VIEW, type ViewKey } from "../../ui/view-keys.js";
import { describeError } from "../../ui/commands/errors.js";
import type { DirectViews } from "./lines.js";
import { watchFiles } from "./sendfile.js";

/** What P2pTui needs from the controller. */
export interface P2pHost {
  print(text: string, level: NoticeLevel, view: ViewKey): void;
  flash(text: string, level: NoticeLevel, view: ViewKey): void;
  /** The terminal bell (rate-limited by the host). */
  bell(): void;
  focus(view: ViewKey): void;
  currentView(): ViewKey;
  setDirect(direct: DirectViews): void;
  /** Takes `text` off the notice bar if it is still showing there. */
  unflash(text: string): void;
  /** Makes sure the DM view with `user` exists (and loads its history). */
  openDm(user: string): Promise<void>;
}

const YES = new Set(["y", "yes"]);
const NO = new Set(["n", "no"]);

const PATH_TEXT = {
  direct: "direct connection",
  relay: "relayed through the hub",
} as const;

function question(from: string): string {
  return `${from} wants a direct chat — accept? (y/n)`;
}

/** "direct connection, encrypted, not verified": how a chat travels and what its encryption is worth. */
function pathText(path: keyof typeof PATH_TEXT, trust: Trust): string {
  return `${PATH_TEXT[path]}, ${encryptionWords(trust)}`;
}

export class P2pTui {
  private chats: PeerChats | undefined;
  private starting: Promise<PeerChats> | undefined;
  private direct: DirectViews = {};
  /** The chat each person's DM view shows now; an older chat's late changes must not overwrite it. */
  private readonly shown = new Map<string, DirectChat>();
  private closed = false;

  constructor(
    private readonly start: () => Promise<PeerChats>,
    private readonly host: P2pHost,
  ) {}

  /** Starts the peer node in the background; a failure is reported and retried on first use. */
  begin(): void {
    this.ready().catch((error: unknown) =>
      this.host.print(`Direct chats are unavailable: ${describeError(error)}`, "error", STATUS_VIEW),
    );
  }

  ready(): Promise<PeerChats> {
    if (this.chats) return Promise.resolve(this.chats);
    this.starting ??= this.start().then(
      (chats) => {
        if (this.closed) {
          void chats.close();
          throw new Error("closing");
        }
        this.chats = chats;
        this.wire(chats);
        return chats;
      },
      (error: unknown) => {
        this.starting = undefined;
        throw error;
      },
    );
    return this.starting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chats?.close();
  }

  // --- input -----------------------------------------------------------------------------------

  /** A bare y/n while a request waits answers the oldest one. True when the line was taken. */
  answer(line: string): boolean {
    const word = line.trim().toLowerCase();
    if (!this.chats || (!YES.has(word) && !NO.has(word))) return false;
    const request = this.chats.requests[0];
    if (!request) return false;
    void (YES.has(word) ? this.accept(request.from) : this.decline(request.from)).catch((error: unknown) =>
      this.host.print(describeError(error), "error", this.host.currentView()),
    );
    return true;
  }

  /** Text typed in a DM view with an open direct chat goes over it. True when it was taken. */
  send(view: ViewKey, body: string): boolean {
    if (!view.startsWith("dm:")) return false;
    const chat = this.chats?.chatWith(view.slice(3));
    if (!chat || chat.path === "hub") {
      // Writing on after the fallback: its red line has been read, the status line moves on.
      this.settle(view);
      return false;
    }
    chat
      .send(body)
      .catch((error: unknown) => this.host.print(`Not sent: ${describeError(error)}`, "error", view));
    return true;
  }

  /** The open direct chat of a DM view, if any. */
  chatFor(view: ViewKey): DirectChat | undefined {
    return view.startsWith("dm:") ? this.chats?.chatWith(view.slice(3)) : undefined;
  }

  // --- commands --------------------------------------------------------------------------------

  async request(user: string, device?: string): Promise<void> {
    const chats = await this.ready();
    const name = user.toLowerCase();
    this.host.print(`Asking ${name} for a direct chat…`, "info", this.host.currentView());
    try {
      const chat = await this.connecting(name, () => chats.request(name, device));
      await this.show(chat);
    } finally {
      this.refreshTrust(name);
    }
  }

  async accept(user?: string): Promise<void> {
    const chats = await this.ready();
    const request = this.pendingFrom(chats, user);
    this.host.unflash(question(request.from));
    // Straight to their DM view, whose status line says `p2p connecting` until a path is up.
    await this.host.openDm(request.from).catch(() => {});
    this.host.focus(dmKey(request.from));
    const chat = await this.connecting(request.from, () => chats.accept(request.requestId));
    await this.show(chat);
  }

  async decline(user?: string): Promise<void> {
    const chats = await this.ready();
    const request = this.pendingFrom(chats, user);
    this.host.unflash(question(request.from));
    await chats.decline(request.requestId);
    this.host.print(`Declined ${request.from}'s direct chat`, "info", this.host.currentView());
  }

  /** The status line says `p2p connecting` while `open` runs, and nothing again if it fails. */
  private async connecting(peer: string, open: () => Promise<DirectChat>): Promise<DirectChat> {
    this.setView(peer, { path: "connecting" });
    try {
      return await open();
    } catch (error) {
      if (this.direct[peer]?.path === "connecting") this.setView(peer, { path: undefined });
      throw error;
    }
  }

  /** The user left (or wrote on in) a DM view: a `p2p ended, hub DMs` there has been seen; clear it. */
  settle(view: ViewKey): void {
    if (!view.startsWith("dm:")) return;
    const peer = view.slice(3);
    if (this.direct[peer]?.path === "hub") this.setView(peer, { path: undefined });
  }

  async trustKey(user: string): Promise<boolean> {
    const chats = await this.ready();
    try {
      return await chats.trustKey(user);
    } finally {
      this.refreshTrust(user.toLowerCase());
    }
  }

  /** Shows the user's trust of `user` (chat device, else last seen) in the status line of their DM view. */
  refreshTrust(user: string): void {
    const trust = this.chats?.standing(user);
    if (trust !== (this.direct[user]?.trust ?? undefined)) this.setView(user, { trust });
  }

  /** Ends the direct chat with `user` (or the one of the current view); later messages are hub DMs. */
  async end(user?: string): Promise<string> {
    const chats = await this.ready();
    const view = this.host.currentView();
    const name = (user ?? (view.startsWith("dm:") ? view.slice(3) : "")).toLowerCase();
    const chat = name ? chats.chatWith(name) : undefined;
    if (!chat)
      throw new Error(name ? `no direct chat with ${name} is open` : "name the person: /endp2p USER");
    chat.close();
    this.setView(chat.peer, { path: undefined });
    return chat.peer;
  }

  /** Lines for `/p2p` without arguments: this device's fingerprint, open chats and waiting requests. */
  async describe(): Promise<string[]> {
    const chats = await this.ready();
    const lines = [
      `Your key fingerprint: ${chats.fingerprint} (device ${chats.device.id}); addresses: ${chats.addressMode}`,
    ];
    for (const chat of chats.chats.values())
      lines.push(
        `  direct chat with ${chat.peer}: ${chat.path ?? "reconnecting"}, ${trustWord(chat.trust) ?? ""}`,
      );
    for (const r of chats.requests)
      lines.push(`  ${r.from} asks for a direct chat (/accept ${r.from} or /decline ${r.from})`);
    if (lines.length === 1) lines.push("No direct chats open. /p2p USER asks someone for one.");
    return lines;
  }

  // --- events ----------------------------------------------------------------------------------

  private wire(chats: PeerChats): void {
    chats.on("request", (r) => this.onRequest(r));
    chats.on("requestGone", (gone) => this.onRequestGone(gone));
    chats.on("keyChanged", (w) => this.warnKey(w));
    chats.on("devicesChanged", ({ change, device, current }) => {
      // Another device joined the account: the user should know, and revoke it if it is not theirs.
      if (change === "added" && !current && device !== undefined) {
        const text = `A new device ${device} was added to your account. If it is not yours: /devices revoke ${device}`;
        this.host.print(text, "error", STATUS_VIEW);
        this.host.flash(text, "error", STATUS_VIEW);
      } else if (change === "revoked" && current) {
        this.host.print(
          "This device was revoked from your account: it can no longer chat directly",
          "error",
          STATUS_VIEW,
        );
      }
    });
    chats.on("warning", ({ message }) => this.host.print(message, "info", STATUS_VIEW));
  }

  private onRequest(r: IncomingRequest): void {
    const view = this.host.currentView();
    this.refreshTrust(r.from);
    const ask = question(r.from);
    this.host.print(
      `${ask}  Their device ${r.device} is ${trustWord(r.trust)}; key ${r.fingerprint}; safety number ${r.safetyNumber}`,
      "system",
      view,
    );
    if (view !== STATUS_VIEW) this.host.print(ask, "system", STATUS_VIEW);
    this.host.flash(ask, "info", view === STATUS_VIEW ? dmKey(r.from) : STATUS_VIEW);
  }

  private onRequestGone({ from, reason, safetyNumber }: RequestGone): void {
    this.host.unflash(question(from));
    if (reason !== "untrusted") {
      const text =
        reason === "withdrawn"
          ? `${from} withdrew the direct-chat request`
          : reason === "answered"
            ? `${from}'s direct-chat request was answered on another of your devices`
            : `${from}'s direct-chat request expired`;
      this.host.print(text, "info", STATUS_VIEW);
      return;
    }
    // Their client saw a key it does not know for us (a new device, or an impostor between us): the
    // safety number is what the two of us compare before they trust it.
    const text =
      `${from}'s client does not trust this device's key yet and withdrew the direct-chat request. ` +
      `Safety number: ${safetyNumber} — compare it with ${from} in person or by phone; ` +
      `once they /trustkey you, they can ask again.`;
    this.host.print(text, "error", this.host.currentView());
    if (this.host.currentView() !== STATUS_VIEW) this.host.print(text, "error", STATUS_VIEW);
    this.host.flash(
      `${from} does not trust this device's key yet — safety number ${safetyNumber}`,
      "error",
      STATUS_VIEW,
    );
  }

  private warnKey(w: KeyWarning): void {
    this.setView(w.user, { trust: "changed" });
    const text = w.blocked
      ? `KEY CHANGED: ${w.user} was verified, but their device ${w.device} is not (was ${w.previousFingerprint}, now ${w.fingerprint}). ` +
        `No direct chat with it until you compare the safety number with ${w.user} in person or by phone. ` +
        `Safety number: ${w.safetyNumber} — if it matches on both screens, /verify ${w.user} confirm.`
      : `WARNING: ${w.user}'s key changed (was ${w.previousFingerprint}, now ${w.fingerprint}). ` +
        `Safety number: ${w.safetyNumber} — compare it with ${w.user} in person or by phone; ` +
        `a stranger may be posing as them. Accepting their request, or /trustkey ${w.user}, trusts the new key; ` +
        `/verify ${w.user} confirm verifies it.`;
    this.host.print(text, "error", this.host.currentView());
    if (this.host.currentView() !== STATUS_VIEW) this.host.print(text, "error", STATUS_VIEW);
    this.host.flash(
      `${w.blocked ? "KEY CHANGED: " : ""}${w.user}'s key changed — safety number ${w.safetyNumber}`,
      "error",
      STATUS_VIEW,
    );
  }

  private pendingFrom(chats: PeerChats, user: string | undefined): IncomingRequest {
    const name = user?.toLowerCase();
    const request = chats.requests.find((r) => name === undefined || r.from === name);
    if (!request)
      throw new Error(
        name ? `${name} has not asked for a direct chat` : "nobody is asking for a direct chat",
      );
    return request;
  }

  /** A chat opened: its DM view shows it, with the path in the status line. */
  private async show(chat: DirectChat): Promise<void> {
    const view = dmKey(chat.peer);
    await this.host.openDm(chat.peer).catch(() => {});
    // The messages of an earlier chat with them stay in the view; this chat's come after them.
    const earlier = this.shown.has(chat.peer) ? (this.direct[chat.peer]?.messages ?? []) : [];
    this.shown.set(chat.peer, chat);
    const update = (): void => {
      if (this.shown.get(chat.peer) !== chat) return;
      this.setView(chat.peer, {
        path: chat.path,
        messages: [...earlier, ...chat.messages],
        trust: chat.trust,
      });
    };
    update();
    chat.on("change", update);
    watchFiles(chat, this.host, view);
    chat.on("message", (m) => {
      // Like a DM from the hub: a notice and the bell when the chat is not on screen.
      if (this.host.currentView() === view) return;
      this.host.flash(`New direct message from ${chat.peer}: ${m.body.slice(0, 80)}`, "info", view);
      this.host.bell();
    });
    let shown = chat.path;
    chat.on("path", (path) => {
      if (path === null || path === "hub" || path === shown) return;
      shown = path;
      this.host.print(`Direct chat with ${chat.peer}: now ${pathText(path, chat.trust)}`, "info", view);
    });
    chat.on("fallback", ({ reason, resent }) => {
      const moved = resent > 0 ? `; ${resent} unacknowledged message${resent === 1 ? "" : "s"} and` : ";";
      this.host.print(
        `${reason}${moved} new messages go through the hub as stored direct messages`,
        "error",
        view,
      );
      if (this.host.currentView() !== view) {
        this.host.flash(`Direct chat with ${chat.peer} ended: messages go through the hub`, "error", view);
      }
    });
    this.host.focus(view);
    const check =
      chat.trust === "verified" ? "" : ` /verify ${chat.peer} shows the safety number to compare with them.`;
    this.host.print(
      `Direct chat with ${chat.peer} (${pathText(chat.path === "relay" ? "relay" : "direct", chat.trust)}); their key ${chat.fingerprint}.${check} /endp2p ends it.`,
      "info",
      view,
    );
  }

  private setView(peer: string, patch: Partial<DirectViews[string]>): void {
    const before = this.direct[peer] ?? { path: undefined, messages: [] };
    this.direct = { ...this.direct, [peer]: { ...before, ...patch } };
    this.host.setDirect(this.direct);
  }
}
