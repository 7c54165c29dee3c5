/**
 * The app's state and behaviour apart from rendering: which screen and view are shown, the notices,
 * scrolling, notifications, the command dispatcher and the password prompt. It listens to the SDK
 * (ParleyClient) and exposes an immutable snapshot for React (`subscribe` + `getSnapshot`, as
 * `useSyncExternalStore` wants), so the views only draw and forward keys.
 */
import {
  E2eRooms,
  HubError,
  parseKey,
  roomKey,
  type E2eNotice,
  type ClientState,
  type ConnectionStatus,
  type MessageNotice,
  type ParleyClient,
  type PeerChats,
} from "../../client/index.js";
import type { AnyEvent, Message, OpParams, Room, SearchResult } from "../../protocol/index.js";
import { runCommand } from "../commands/registry.js";
import { describeError } from "../../ui/commands/errors.js";
import { splitCommand } from "../../ui/commands/args.js";
import type { Notice, NoticeLevel } from "../model/lines.js";
import { buildPane } from "../model/pane.js";
import { linksOf } from "../model/lines.js";
import { sanitize } from "../render/sanitize.js";
import { noticesFor } from "../../ui/event-notices.js";
import { notificationFor } from "../../ui/notify.js";
import { viewsOf, waitOnline } from "../../ui/views.js";
import { STATUS_VIEW, viewTitle, type ViewKey } from "../../ui/view-keys.js";
import type { SessionFile } from "../session-file.js";
import type { DirectViews } from "../p2p/lines.js";
import { P2pTui } from "../p2p/p2p-tui.js";
import { TuiFiles } from "../files/transfers.js";

/** How long a /quit warning about unsent messages waits for the confirming /quit. */
const QUIT_CONFIRM_MS = 30_000;
export type Phase = "login" | "chat" | "fatal";

export interface Flash {
  text: string;
  level: NoticeLevel;
  /** The view it is about; showing that view clears it. */
  view: ViewKey;
}

/** A listing command's output shown over a conversation until Esc, the next input or a view switch. */
export interface Panel {
  id: number;
  /** The command line that made it. */
  title: string;
  lines: readonly Notice[];
  /** A /search results view: its results, and the one ↑/↓ point at (Enter jumps there). */
  search?: { results: readonly SearchResult[]; index: number };
}

export interface ViewState {
  phase: Phase;
  /** Why the app cannot go on (phase "fatal"), e.g. a changed hub certificate. */
  fatal: string | null;
  client: ClientState;
  status: ConnectionStatus;
  view: ViewKey;
  notices: Readonly<Record<string, readonly Notice[]>>;
  /** The one-line notice bar above the input. */
  flash: Flash | null;
  /** Lines scrolled up from the bottom, per view. */
  scroll: Readonly<Record<string, number>>;
  /** A hidden question on the input line (passwords). */
  prompt: { label: string } | null;
  /** A login or registration is in flight. */
  busy: boolean;
  loginError: string | null;
  /** Direct (peer-to-peer) chats by username, shown in their DM views. */
  direct: DirectViews;
  panel: Panel | null;
  /** End-to-end encrypted rooms (once the device keys are loaded); `sealedVersion` moves on every check. */
  sealed: E2eRooms | null;
  sealedVersion: number;
  /** The message selected with ↑ in an empty input: /edit, /reply, /react … act on it. */
  selected: { view: ViewKey; id: string } | null;
}

export interface ControllerDeps {
  bell(): void;
  /** Opens `url` in the browser; rejects when no browser could be started. */
  openUrl(url: string): Promise<void>;
  /** Called once, after the client is closed, when the user quits. */
  exit(): void;
  now?: () => number;
  /** With `--remember`: where session tokens are kept, and the key (the hub URL) to keep them under. */
  remember?: { file: SessionFile; hub: string; username?: string };
  /** Starts the peer-to-peer side (identity, listener); without it there are no direct chats. */
  p2p?: () => Promise<PeerChats>;
}

const MAX_NOTICES_PER_VIEW = 500;
/** A jump to a search result loads at most this many pages of 200 older messages to reach it. */
const JUMP_PAGES = 25;
const BELL_MIN_INTERVAL_MS = 1000;
/** How long a login typed while the first connection is still being made waits for it. */
const LOGIN_WAIT_MS = 15_000;

export class ChatController {
  private snapshot: ViewState;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: Array<() => void> = [];
  private nextNoticeId = 1;
  private nextPanelId = 1;
  private lastBell = 0;
  private loggingOut = false;
  private quitting = false;
  private quitWarnedAt = -Infinity;
  private everOnline = false;
  /** Said once per outage that the hub cannot store messages; a stored message ends the outage. */
  private storageWarned = false;
  private readonly rooms = new Map<string, Room>();
  /** Every room's latest settings, kept after the room leaves the state (a kick's notice needs them). */
  private readonly lastRooms = new Map<string, Room>();
  private pendingPrompt: { resolve(value: string): void; reject(error: Error): void } | null = null;
  private readonly now: () => number;
  private readonly p2p: P2pTui | undefined;
  private readonly files: TuiFiles;

  constructor(
    private readonly client: ParleyClient,
    private readonly deps: ControllerDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.snapshot = {
      phase: "login",
      fatal: null,
      client: client.state,
      status: client.status,
      view: STATUS_VIEW,
      notices: {},
      flash: null,
      scroll: {},
      prompt: null,
      busy: false,
      loginError: null,
      direct: {},
      panel: null,
      sealed: null,
      sealedVersion: 0,
      selected: null,
    };
    this.files = new TuiFiles(client, {
      flash: (text, level, view) => this.flash(text, level, view),
      print: (text, level, view) => this.print(text, level, view),
      openUrl: (url) => this.deps.openUrl(url),
    });
    this.p2p = deps.p2p
      ? new P2pTui(deps.p2p, {
          print: (text, level, view) => this.print(text, level, view),
          flash: (text, level, view) => this.flash(text, level, view),
          bell: () => this.ring(),
          focus: (view) => this.switchTo(view),
          currentView: () => this.snapshot.view,
          setDirect: (direct) => this.update({ direct }),
          unflash: (text) => {
            if (this.snapshot.flash?.text === sanitize(text)) this.update({ flash: null });
          },
          openDm: async (user) => {
            await this.client.openDm(user);
          },
        })
      : undefined;
  }

  // --- React binding -------------------------------------------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ViewState => this.snapshot;

  private update(patch: Partial<ViewState>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Starts listening to the client and connects (retrying with backoff until the hub answers). */
  start(): void {
    this.unsubscribe.push(
      this.client.on("status", (status) => this.onStatus(status)),
      this.client.on("change", (state) => this.onChange(state)),
      this.client.on("message", (n) => this.onMessage(n)),
      this.client.on("event", (ev) => this.onEvent(ev)),
      this.client.on("sendFailed", ({ entry, error }) =>
        this.print(`Not sent: ${describeError(error)}`, "error", entry.key),
      ),
      this.client.on("sendDelayed", ({ entry, retryInMs }) => this.onSendDelayed(entry.key, retryInMs)),
      this.client.on("sent", () => (this.storageWarned = false)),
      this.client.on("sessionLost", ({ reason }) => {
        if (reason === "logout" && this.loggingOut) return;
        this.print(`Your session ended (${reason}); log in again`, "error", STATUS_VIEW);
        this.update({ phase: "login", loginError: `Your session ended (${reason}); log in again` });
      }),
      this.client.on("warning", ({ message }) => this.print(message, "info", STATUS_VIEW)),
    );
    this.p2p?.begin();
    this.p2p
      ?.ready()
      .then((chats) => this.startSealed(chats))
      .catch(() => {});
    this.connect();
  }

  /** E2e rooms share the direct chats' device keys and trust store. */
  private startSealed(chats: PeerChats): void {
    if (this.quitting || this.snapshot.sealed) return;
    const sealed = E2eRooms.forPeer(this.client, chats);
    this.unsubscribe.push(
      () => sealed.close(),
      sealed.on("change", () => this.update({ sealedVersion: this.snapshot.sealedVersion + 1 })),
      sealed.on("notice", (n) => this.onSealedNotice(n)),
    );
    this.update({ sealed });
  }

  /** Everything about an e2e room's trust is shown in red, in the room and on the notice bar. */
  private onSealedNotice(n: E2eNotice): void {
    const view = roomKey(n.room);
    const text = n.kind === "membership" ? `[e2e] ${n.text}` : `[e2e] WARNING: ${n.text}`;
    this.print(text, "error", view);
    this.flash(text, "error", view);
  }

  /** Says once per room and session whose devices the room's messages are sealed to, and which are not verified. */
  private readonly sealedSummaries = new Set<string>();
  private summarizeSealed(view: ViewKey): void {
    const parsed = parseKey(view);
    const sealed = this.snapshot.sealed;
    if (parsed?.kind !== "room" || !sealed || !sealed.isE2e(parsed.name)) return;
    if (this.sealedSummaries.has(parsed.name)) return;
    this.sealedSummaries.add(parsed.name);
    sealed.members(parsed.name).then(
      (devices) => {
        for (const line of sealedSummary(devices)) this.print(line.text, line.level, view);
      },
      (error: unknown) => this.print(`[e2e] ${describeError(error)}`, "error", view),
    );
  }

  private connect(): void {
    this.client.connect({ retry: true }).then(
      (hub) => {
        const how = hub.insecure ? "without TLS (insecure hub)" : `TLS fingerprint ${hub.fingerprint ?? "?"}`;
        this.print(`Connected to ${hub.url} (${hub.server}), ${how}`, "info", STATUS_VIEW);
        void this.resumeRemembered();
      },
      // With retry on, the client gives up only for good reasons: a changed certificate (whose
      // message explains what to do) or a hub that refuses us.
      (error: unknown) => this.update({ phase: "fatal", fatal: describeError(error) }),
    );
  }

  /**
   * What /quit and Ctrl+C do. Messages still in the outbox (typed while the hub was unreachable, say)
   * exist only in this process, so the first request says how many would be lost and a second one
   * within 30 s leaves anyway.
   */
  requestQuit(): void {
    const unsent = this.client.state.outbox.length;
    const now = Date.now();
    if (unsent > 0 && now - this.quitWarnedAt > QUIT_CONFIRM_MS) {
      this.quitWarnedAt = now;
      const what = unsent === 1 ? "1 message is" : `${unsent} messages are`;
      this.print(
        `${what} not delivered to the hub yet and would be lost: /quit (or Ctrl+C) again to leave anyway, or wait until the connection is back`,
        "error",
        this.snapshot.phase === "chat" ? this.snapshot.view : STATUS_VIEW,
      );
      return;
    }
    void this.quit();
  }

  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.pendingPrompt?.reject(new Error("quitting"));
    try {
      // Tells direct-chat peers goodbye, so they switch to stored DMs at once — but a peer that does
      // not answer must not keep the app from quitting.
      if (this.p2p) await Promise.race([this.p2p.close().catch(() => {}), sleep(2000)]);
      await this.client.close();
    } finally {
      this.deps.exit();
    }
  }

  // --- login screen ----------------------------------------------------------------------------

  async login(username: string, password: string): Promise<boolean> {
    return this.authenticate(async () => {
      await this.client.login(username, password);
    });
  }

  async register(params: OpParams<"register">): Promise<boolean> {
    return this.authenticate(async () => {
      await this.client.register(params);
      await this.client.login(params.username, params.password);
    });
  }

  /** With `--remember` and a kept session for this hub: straight in, no password. */
  private async resumeRemembered(): Promise<void> {
    const remember = this.deps.remember;
    if (!remember || this.snapshot.phase !== "login" || this.client.state.me) return;
    const kept = remember.file.get(remember.hub, remember.username, this.now());
    if (!kept) return;
    const ok = await this.authenticate(async () => {
      await this.client.resume(kept.token);
    });
    if (!ok) {
      // Expired or revoked on the hub: forget it, and ask for the password as usual.
      remember.file.delete(remember.hub);
      this.update({ loginError: `Your saved session for ${kept.username} has ended; log in again` });
    }
  }

  private async authenticate(step: () => Promise<void>): Promise<boolean> {
    this.update({ busy: true, loginError: null });
    try {
      if (this.client.status.state === "offline") this.connect();
      await waitOnline(this.client, LOGIN_WAIT_MS);
      await step();
      const state = this.client.state;
      const session = this.client.session;
      const remember = this.deps.remember;
      if (remember && session && state.me) {
        remember.file.set(remember.hub, { username: state.me.username, ...session });
      }
      const first = this.views(state)[1] ?? STATUS_VIEW;
      this.update({ phase: "chat", busy: false, client: state });
      this.print(
        `Welcome, ${state.me?.username ?? "?"}. /help lists the commands; Alt+number switches views.`,
        "info",
        STATUS_VIEW,
      );
      this.switchTo(first);
      return true;
    } catch (error) {
      this.update({ busy: false, loginError: describeError(error) });
      return false;
    }
  }

  async logout(): Promise<void> {
    this.loggingOut = true;
    try {
      this.deps.remember?.file.delete(this.deps.remember.hub);
      await this.client.logout();
    } finally {
      this.loggingOut = false;
    }
    this.update({
      phase: "login",
      view: STATUS_VIEW,
      notices: {},
      flash: null,
      loginError: null,
      panel: null,
    });
  }

  // --- views -----------------------------------------------------------------------------------

  /** Views in sidebar order: status, rooms by name, DMs by name. Alt+N picks the N-th. */
  views(state: ClientState = this.snapshot.client): ViewKey[] {
    return viewsOf(state);
  }

  switchTo(view: ViewKey): void {
    if (view !== this.snapshot.view) this.p2p?.settle(this.snapshot.view);
    const flash = this.snapshot.flash?.view === view ? null : this.snapshot.flash;
    this.update({ view, flash, panel: null, selected: null });
    this.client.focus(view === STATUS_VIEW ? null : view);
    this.summarizeSealed(view);
  }

  /** Alt+N: the N-th view (1-based); ignored when there is none. */
  selectIndex(n: number): void {
    const view = this.views()[n - 1];
    if (view !== undefined) this.switchTo(view);
  }

  cycle(delta: number): void {
    const views = this.views();
    const i = views.indexOf(this.snapshot.view);
    const next = views[(i + delta + views.length) % views.length];
    if (next !== undefined) this.switchTo(next);
  }

  /** Scrolls the current view by `lines` (positive = older); loads older history at the top. */
  scrollBy(lines: number, pageSize: number): void {
    const view = this.snapshot.view;
    const total = buildPane(this.snapshot, view).length;
    const current = this.snapshot.scroll[view] ?? 0;
    const max = Math.max(0, total - pageSize);
    const next = Math.min(max, Math.max(0, current + lines));
    this.update({ scroll: { ...this.snapshot.scroll, [view]: next } });
    const conv = this.conversation(view);
    if (lines > 0 && conv?.hasOlder && current + lines > max && view !== STATUS_VIEW) {
      this.client.loadOlder(view).catch((error: unknown) => this.print(describeError(error), "error", view));
    }
  }

  private conversation(view: ViewKey) {
    const parsed = parseKey(view);
    if (!parsed) return undefined;
    return parsed.kind === "room"
      ? this.snapshot.client.rooms[parsed.name]
      : this.snapshot.client.dms[parsed.name];
  }

  // --- input -----------------------------------------------------------------------------------

  /** The input line was submitted: a prompt answer, a command, or a message to the current view. */
  async submit(line: string): Promise<void> {
    if (this.pendingPrompt) {
      const { resolve } = this.pendingPrompt;
      this.pendingPrompt = null;
      this.update({ prompt: null });
      resolve(line);
      return;
    }
    if (line.trim() === "") {
      // Enter on an empty line in search results shows the result pointed at.
      const search = this.snapshot.panel?.search;
      if (search)
        await this.jump(search.index + 1).catch((e: unknown) => this.print(describeError(e), "error"));
      return;
    }
    const selected = this.selectedMessage();
    this.closePanel();
    if (this.snapshot.selected) {
      // Selecting scrolled the pane to the message; acting on it comes back to the newest.
      const view = this.snapshot.selected.view;
      this.update({ selected: null, scroll: { ...this.snapshot.scroll, [view]: 0 } });
    }
    // A bare y/n answers a waiting direct-chat request.
    if (this.p2p?.answer(line)) return;
    const view = this.snapshot.view;
    if (splitCommand(line)) {
      const result = await runCommand(line, {
        client: this.client,
        state: this.snapshot.client,
        view,
        // Output goes where the user is looking when it arrives (a /join or /dm has switched views by then).
        print: (text, level) => this.print(text, level ?? "info", this.snapshot.view),
        listing: this.listingPrinter(line.trim(), view),
        focus: (v) => this.switchTo(v),
        ask: (label) => this.ask(label),
        openUrl: (url) => this.deps.openUrl(url),
        links: () => linksOf(buildPane(this.snapshot, this.snapshot.view)),
        logout: () => this.logout(),
        ...(this.p2p ? { p2p: this.p2p } : {}),
        ...(this.snapshot.sealed ? { sealed: this.snapshot.sealed } : {}),
        files: this.files,
        quit: () => this.requestQuit(),
        selected: () => selected,
        showResults: (query, results, more) => this.showResults(query, results, more),
        jump: (n) => this.jump(n),
      });
      if (!result.ok)
        this.print(result.message, "error", this.snapshot.phase === "chat" ? view : STATUS_VIEW);
      return;
    }
    const body = line.startsWith("//") ? line.slice(1) : line;
    if (view === STATUS_VIEW) {
      this.print(
        "This is the status view: switch to a room or DM (Alt+number), or /join ROOM, /dm USER",
        "error",
        view,
      );
      return;
    }
    // Scrolling back to the bottom on send, like every chat client: you want to see what you wrote.
    this.update({ scroll: { ...this.snapshot.scroll, [view]: 0 } });
    if (this.p2p?.send(view, body)) return;
    const parsed = parseKey(view);
    if (parsed?.kind === "room" && this.client.state.rooms[parsed.name]?.info.e2e === true) {
      const sealed = this.snapshot.sealed;
      if (!sealed) {
        this.print(
          "Not sent: this room is end-to-end encrypted and this terminal has no device keys (direct chats are off)",
          "error",
          view,
        );
        return;
      }
      sealed.send(parsed.name, body).catch((error: unknown) => {
        // The hub's refusals arrive as `sendFailed`; what was refused before sealing does not.
        const local =
          error instanceof HubError && (error.code === "EMPTY_BODY" || error.code === "BODY_TOO_LONG");
        if (local || !(error instanceof HubError))
          this.print(`Not sent: ${describeError(error)}`, "error", view);
      });
      return;
    }
    this.client.send(view, body).catch((error: unknown) => {
      // Refusals for good also arrive as `sendFailed`; only report what that event does not cover.
      if (!(error instanceof HubError)) this.print(describeError(error), "error", view);
    });
  }

  /**
   * Where a listing command's lines go: always the status view (the record of command output), and,
   * when it was typed in a room or DM, a panel over that conversation instead of into it.
   */
  private listingPrinter(title: string, typedIn: ViewKey): (text: string, level?: NoticeLevel) => void {
    const id = this.nextPanelId++;
    return (text, level = "info") => {
      this.print(text, level, STATUS_VIEW);
      if (typedIn === STATUS_VIEW || this.snapshot.view !== typedIn) return;
      const notice: Notice = { id: this.nextNoticeId++, ts: this.now(), level, text };
      const panel = this.snapshot.panel;
      const lines = panel?.id === id ? [...panel.lines, notice] : [notice];
      this.update({ panel: { id, title, lines: lines.slice(-MAX_NOTICES_PER_VIEW) } });
    };
  }

  // --- selecting messages and search results ---------------------------------------------------

  private selectedMessage(): Message | undefined {
    const sel = this.snapshot.selected;
    if (!sel || sel.view !== this.snapshot.view) return undefined;
    return this.conversation(sel.view)?.messages.find((m) => m.id === sel.id);
  }

  /**
   * ↑ (older, +1) and ↓ (newer, −1) in an empty input: moves the selection over the messages of the
   * current view, or over the results of an open search. False when there is nothing to move over
   * (the keys then recall input history).
   */
  moveSelection(delta: 1 | -1): boolean {
    const search = this.snapshot.panel?.search;
    if (search && this.snapshot.panel) {
      const index = Math.min(search.results.length - 1, Math.max(0, search.index - delta));
      this.update({ panel: { ...this.snapshot.panel, search: { ...search, index } } });
      return true;
    }
    const view = this.snapshot.view;
    const messages = this.conversation(view)?.messages ?? [];
    if (messages.length === 0) return false;
    const current = this.selectedMessage();
    const at = current ? messages.indexOf(current) : messages.length;
    const next = at - delta;
    if (next >= messages.length) {
      this.update({ selected: null, scroll: { ...this.snapshot.scroll, [view]: 0 } });
      return true;
    }
    if (!current && delta === -1) return false;
    const target = messages[Math.max(0, next)]!;
    this.select(view, target.id);
    return true;
  }

  /** Esc: drops the selection; false when there was none. */
  clearSelection(): boolean {
    if (!this.snapshot.selected) return false;
    this.update({ selected: null });
    return true;
  }

  /** Selects a message and scrolls so that it shows a little above the bottom of the pane. */
  private select(view: ViewKey, id: string): void {
    const selected = { view, id };
    const lines = buildPane({ ...this.snapshot, selected }, view);
    const index = lines.findIndex((l) => l.kind === "message" && l.id === id);
    const scroll = index < 0 ? 0 : Math.max(0, lines.length - 1 - index - 2);
    this.update({ selected, scroll: { ...this.snapshot.scroll, [view]: scroll } });
  }

  private lastSearch: readonly SearchResult[] = [];

  /** /search: its results in a view over the pane, newest first, one line each. */
  private showResults(query: string, results: readonly SearchResult[], more: boolean): void {
    this.lastSearch = results;
    if (results.length === 0) {
      this.print(`No messages match ${query}`, "info");
      return;
    }
    const title = `/search ${query} — ${results.length}${more ? "+" : ""} found; ↑/↓ Enter or /jump N shows one`;
    this.update({ panel: this.searchPanel(title, results, 0) });
  }

  private searchPanel(title: string, results: readonly SearchResult[], index: number): Panel {
    const id = this.nextPanelId++;
    const lines: Notice[] = results.map((r, i) => {
      // The snippet with its matches between « », as text (the panel sanitizes and cuts it).
      let text = "";
      let at = 0;
      for (const [start, end] of r.highlights) {
        text += `${r.snippet.slice(at, start)}«${r.snippet.slice(start, end)}»`;
        at = end;
      }
      text += r.snippet.slice(at);
      const where = r.room !== undefined ? `#${r.room}` : `@${r.user ?? "?"}`;
      const time = new Date(r.ts).toISOString().slice(0, 16).replace("T", " ");
      return {
        id: this.nextNoticeId++,
        ts: r.ts,
        level: "info",
        text: `${i + 1}. ${where} ${time} <${r.from}> ${text.replace(/\s+/g, " ")}`,
      };
    });
    return { id, title, lines, search: { results, index } };
  }

  /** Shows search result `n` (1-based) in its conversation, loading older history until it is there. */
  async jump(n: number): Promise<void> {
    const result = this.lastSearch[n - 1];
    if (!result) throw new Error(`search results are numbered 1 to ${this.lastSearch.length}`);
    const view: ViewKey = result.room !== undefined ? `room:${result.room}` : `dm:${result.user ?? ""}`;
    if (result.user !== undefined && !this.snapshot.client.dms[result.user])
      await this.client.openDm(result.user);
    this.switchTo(view);
    for (let page = 0; page < JUMP_PAGES; page += 1) {
      const conv = this.conversation(view);
      if (!conv || conv.messages.some((m) => m.id === result.id) || !conv.hasOlder) break;
      await this.client.loadOlder(view, 200);
    }
    if (!this.conversation(view)?.messages.some((m) => m.id === result.id)) {
      throw new Error("that message is no longer in the conversation");
    }
    this.select(view, result.id);
  }

  /** Esc, or anything typed next, closes the panel. */
  closePanel(): void {
    if (this.snapshot.panel) this.update({ panel: null });
  }

  /** Asks a hidden question on the input line. */
  ask(label: string): Promise<string> {
    this.pendingPrompt?.reject(new Error("replaced by another question"));
    return new Promise<string>((resolve, reject) => {
      this.pendingPrompt = { resolve, reject };
      this.update({ prompt: { label } });
    });
  }

  /** Esc outside a prompt: cancels the newest file transfer; false when none runs. */
  cancelTransfer(): boolean {
    return this.files.cancel();
  }

  cancelPrompt(): void {
    if (!this.pendingPrompt) return;
    const { reject } = this.pendingPrompt;
    this.pendingPrompt = null;
    this.update({ prompt: null });
    reject(new Error("cancelled"));
  }

  // --- notices and notifications ---------------------------------------------------------------

  print(text: string, level: NoticeLevel, view: ViewKey = this.snapshot.view): void {
    const notice: Notice = { id: this.nextNoticeId++, ts: this.now(), level, text };
    const list = [...(this.snapshot.notices[view] ?? []), notice].slice(-MAX_NOTICES_PER_VIEW);
    this.update({ notices: { ...this.snapshot.notices, [view]: list } });
  }

  private flash(text: string, level: NoticeLevel, view: ViewKey): void {
    this.update({ flash: { text: sanitize(text), level, view } });
  }

  private ring(): void {
    const t = this.now();
    if (t - this.lastBell < BELL_MIN_INTERVAL_MS) return;
    this.lastBell = t;
    this.deps.bell();
  }

  private onChange(state: ClientState): void {
    const view = this.snapshot.view;
    const parsed = parseKey(view);
    const exists =
      parsed?.kind === "room" ? state.rooms[parsed.name] : parsed ? state.dms[parsed.name] : undefined;
    this.rememberRooms(state);
    if (view === STATUS_VIEW || exists) {
      this.update({ client: state });
      return;
    }
    // The current room is gone (left, kicked, banned, deleted): fall back to the status view. The
    // snapshot changes first, because focus() makes the client emit `change` again, synchronously.
    this.update({ client: state, view: STATUS_VIEW, panel: null });
    this.client.focus(null);
  }

  /** Room settings as last seen, so a `room.updated` notice can say what changed. */
  private rememberRooms(state: ClientState): void {
    for (const [name, room] of Object.entries(state.rooms)) {
      if (!this.rooms.has(name)) this.rooms.set(name, room.info);
      this.lastRooms.set(name, room.info);
    }
  }

  /** Drops and recoveries also go into the status view, so there is a record of them. */
  private onStatus(status: ConnectionStatus): void {
    const before = this.snapshot.status.state;
    this.update({ status });
    if (before === "online" && status.state === "reconnecting") {
      const why = status.lastError ? ` (${status.lastError})` : "";
      this.print(`Lost the connection to the hub${why}; reconnecting by itself`, "error", STATUS_VIEW);
    } else if (before !== "online" && status.state === "online" && this.everOnline) {
      this.print("Reconnected; missed messages are being fetched", "info", STATUS_VIEW);
    }
    if (status.state === "online") this.everOnline = true;
  }

  /** The hub refused to store a message for now (UNAVAILABLE); the client retries it by itself. */
  private onSendDelayed(view: ViewKey, retryInMs: number): void {
    if (this.storageWarned) return;
    this.storageWarned = true;
    const text = `The hub cannot store messages right now; will retry in ${Math.max(1, Math.ceil(retryInMs / 1000))} s (your messages wait, dimmed, until it has them)`;
    this.print(text, "error", view);
    if (this.snapshot.view !== view) this.flash(text, "error", view);
  }

  private onMessage(n: MessageNotice): void {
    const what = notificationFor(n);
    if (what.notice) {
      const where = n.key.startsWith("dm:")
        ? `from ${n.message.from}`
        : `in ${viewTitle(n.key)} from ${n.message.from}`;
      const body = sanitize(n.message.body).slice(0, 80);
      this.flash(`New message ${where}: ${body}`, "info", n.key);
    }
    if (what.bell) this.ring();
  }

  private onEvent(ev: AnyEvent): void {
    const me = this.snapshot.client.me?.username ?? "";
    // The client applies an event before it reports it: the room a kick removed is gone from the state
    // by now, but not from lastRooms.
    const previous =
      ev.ev === "room.updated"
        ? this.rooms.get(ev.room.name)
        : ev.ev === "kicked"
          ? this.lastRooms.get(ev.room)
          : undefined;
    if (ev.ev === "room.updated") this.rooms.set(ev.room.name, ev.room);
    for (const n of noticesFor(ev, this.client.state, me, previous)) {
      this.print(n.text, n.level, n.view);
      if (n.flash) this.flash(n.text, n.level, n.view);
    }
  }
}

/** The lines of an e2e room's device summary: whom messages are sealed to, and what is not verified. */
export function sealedSummary(
  devices: readonly { user: string; id: string; trust: string; blocked: boolean; incapable: boolean }[],
): { text: string; level: NoticeLevel }[] {
  const sealedTo = devices.filter((d) => !d.blocked && !d.incapable);
  const users = new Set(sealedTo.map((d) => d.user));
  const out: { text: string; level: NoticeLevel }[] = [
    {
      text: `[e2e] Messages here are sealed to ${sealedTo.length} device${sealedTo.length === 1 ? "" : "s"} of ${users.size} member${users.size === 1 ? "" : "s"}; the hub cannot read them. /e2e lists them.`,
      level: "info",
    },
  ];
  for (const d of devices) {
    if (d.blocked)
      out.push({
        text: `[e2e] WARNING: ${d.user}'s device ${d.id} is KEY CHANGED: not sealed to`,
        level: "error",
      });
    else if (d.trust === "changed")
      out.push({
        text: `[e2e] WARNING: ${d.user}'s device ${d.id} changed since you last saw it`,
        level: "error",
      });
    else if (d.trust === "unverified")
      out.push({
        text: `[e2e] ${d.user}'s device ${d.id} is unverified: /verify ${d.user} to compare safety numbers`,
        level: "error",
      });
    if (d.incapable)
      out.push({
        text: `[e2e] ${d.user}'s device ${d.id} cannot receive sealed messages (an older client)`,
        level: "error",
      });
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
