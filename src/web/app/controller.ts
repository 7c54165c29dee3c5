/**
 * The browser app's state and behaviour apart from rendering, on the shared SDK core: which screen and
 * conversation are shown, notices, dialogs, notifications, the stored session and the command
 * dispatcher (the same table as the terminal client's). Views read the signals and call the methods.
 */
import { WebFiles } from "./files.js";
import { batch, signal } from "@preact/signals";
import {
  HubError,
  dmKey,
  roomKey,
  ParleyClient,
  parseKey,
  type ClientState,
  type ConnectionStatus,
  type ConversationKey,
  type ConversationState,
  type MessageNotice,
  shapeCheck,
} from "../../client/core/index.js";
import type { AnyEvent, Message, OpParams, Room, SearchResult } from "../../protocol/index.js";
import { splitCommand } from "../../ui/commands/args.js";
import { describeError } from "../../ui/commands/errors.js";
import { runCommand } from "../../ui/commands/registry.js";
import { findLinks, isOpenable } from "../../ui/links.js";
import { noticesFor } from "../../ui/event-notices.js";
import type { NoticeLevel } from "../../ui/notices.js";
import { wantsSystemNotification } from "../../ui/notify.js";
import { viewsOf, waitOnline } from "../../ui/views.js";
import { STATUS_VIEW, viewTitle, type ViewKey } from "../../ui/view-keys.js";
import { browserTransport, hubUrlOf } from "../transport.js";
import { WEB_KEY_HELP } from "./keys.js";
import { clearSession, loadSession, saveSession } from "./session-store.js";
import { WEB_COMMANDS } from "./web-commands.js";

export type Phase = "starting" | "login" | "chat";

export interface Notice {
  id: number;
  ts: number;
  level: NoticeLevel;
  text: string;
}

export type Dialog =
  | {
      kind: "confirm";
      title: string;
      text: string;
      action: string;
      /** The user must type this (a room's name) before the action is allowed. */
      typeToConfirm?: string;
      run: () => Promise<void>;
    }
  | {
      kind: "prompt";
      label: string;
      secret: boolean;
      /** The answer box starts with this (an edit starts from the message's text). */
      initial?: string;
      resolve(value: string): void;
      reject(error: Error): void;
    }
  | { kind: "create-room" }
  | { kind: "join-room" }
  | { kind: "new-dm" }
  | { kind: "profile" }
  | { kind: "switcher" }
  | { kind: "keys" }
  | { kind: "bans"; room: string }
  | { kind: "search"; query: string; results: readonly SearchResult[]; more: boolean };

const MAX_NOTICES_PER_VIEW = 300;

export interface AppEnvironment {
  location: Location;
  storage: Storage;
  document: Document;
  /** The system notification constructor, where the browser has one. */
  notify?: (title: string, options: NotificationOptions) => void;
}

export class WebApp {
  readonly client: ParleyClient;
  /** Uploads and signed file URLs (files.ts). */
  readonly files: WebFiles;
  readonly phase = signal<Phase>("starting");
  readonly state = signal<ClientState>();
  readonly status = signal<ConnectionStatus>();
  readonly view = signal<ViewKey>(STATUS_VIEW);
  readonly notices = signal<Readonly<Record<string, readonly Notice[]>>>({});
  readonly dialog = signal<Dialog | null>(null);
  /** Phone layout: which side panel is open over the messages. */
  readonly panel = signal<"none" | "sidebar" | "members">("none");
  readonly busy = signal(false);
  readonly loginError = signal<string | null>(null);
  /** The read marker when the current view was opened: the "new messages" divider goes after it. */
  readonly divider = signal<{ view: ViewKey; seq: number } | null>(null);
  /** The message the next one sent in that view answers (Reply on a message). */
  readonly replyTo = signal<{ view: ViewKey; message: Message } | null>(null);
  /** A message to bring into sight and mark (a search result shown in its conversation). */
  readonly highlight = signal<{ view: ViewKey; id: string } | null>(null);
  readonly notificationPermission = signal<NotificationPermission | "unsupported">("unsupported");
  private nextNoticeId = 1;
  private readonly rooms = new Map<string, Room>();
  private everOnline = false;

  constructor(private readonly env: AppEnvironment) {
    this.client = new ParleyClient({
      transport: browserTransport(),
      check: shapeCheck,
      urls: hubUrlOf(env.location),
      clientName: "parley-web/0.1.0",
      device: "browser",
      backoff: { baseMs: 500, maxMs: 10_000 },
    });
    this.files = new WebFiles(this.client);
    this.state.value = this.client.state;
    this.status.value = this.client.status;
    if (typeof Notification !== "undefined") this.notificationPermission.value = Notification.permission;
  }

  // --- lifecycle ------------------------------------------------------------------------------

  start(): void {
    const c = this.client;
    c.on("status", (status) => this.onStatus(status));
    c.on("change", (state) => this.onChange(state));
    c.on("message", (n) => this.onMessage(n));
    c.on("event", (ev) => this.onEvent(ev));
    c.on("sendFailed", ({ entry, error }) =>
      this.print(`Not sent: ${describeError(error)}`, "error", entry.key),
    );
    c.on("sessionLost", ({ reason }) => {
      if (reason === "logout") return;
      clearSession(this.env.storage);
      batch(() => {
        this.phase.value = "login";
        this.loginError.value = `Your session ended (${reason}); log in again`;
      });
    });
    c.on("warning", ({ message }) => this.print(message, "info", STATUS_VIEW));
    this.env.document.addEventListener("visibilitychange", () => this.updateTitle());
    const stored = loadSession(this.env.storage);
    void c.connect({ retry: true }).then(
      async () => {
        if (stored) {
          const ok = await this.authenticate(() => c.resume(stored.token).then(() => undefined));
          if (!ok) {
            clearSession(this.env.storage);
            this.loginError.value = `Your saved session for ${stored.username} has ended; log in again`;
          }
        } else {
          this.phase.value = "login";
        }
      },
      (error: unknown) => {
        this.phase.value = "login";
        this.loginError.value = describeError(error);
      },
    );
    if (!stored) this.phase.value = "login";
  }

  /** The browser says the network is back: try now instead of waiting for the backoff timer. */
  networkBack(): void {
    this.client.reconnectNow();
  }

  // --- login ----------------------------------------------------------------------------------

  login(username: string, password: string): Promise<boolean> {
    return this.authenticate(() => this.client.login(username.trim(), password).then(() => undefined));
  }

  register(params: OpParams<"register">): Promise<boolean> {
    return this.authenticate(async () => {
      await this.client.register(params);
      await this.client.login(params.username, params.password);
    });
  }

  private async authenticate(step: () => Promise<void>): Promise<boolean> {
    batch(() => {
      this.busy.value = true;
      this.loginError.value = null;
    });
    try {
      await waitOnline(this.client, 15_000);
      await step();
      const session = this.client.session;
      const me = this.client.state.me;
      if (session && me) saveSession(this.env.storage, { username: me.username, ...session });
      const first = this.views()[1] ?? STATUS_VIEW;
      batch(() => {
        this.busy.value = false;
        this.phase.value = "chat";
      });
      this.print(
        `Welcome, ${me?.username ?? "?"}. /help lists the commands; ? shows the keys.`,
        "info",
        STATUS_VIEW,
      );
      this.switchTo(first);
      return true;
    } catch (error) {
      batch(() => {
        this.busy.value = false;
        this.phase.value = "login";
        this.loginError.value = describeError(error);
      });
      return false;
    }
  }

  async logout(): Promise<void> {
    clearSession(this.env.storage);
    try {
      await this.client.logout();
    } catch (error) {
      // The session is gone from this page either way; the hub ends it when it hears of it.
      this.print(describeError(error), "error", STATUS_VIEW);
    }
    batch(() => {
      this.phase.value = "login";
      this.view.value = STATUS_VIEW;
      this.notices.value = {};
      this.dialog.value = null;
    });
    this.updateTitle();
  }

  // --- views ----------------------------------------------------------------------------------

  /** Views in sidebar order: status, rooms by name, DMs by name. */
  views(state: ClientState = this.client.state): ViewKey[] {
    return viewsOf(state);
  }

  conversation(view: ViewKey, state: ClientState = this.client.state): ConversationState | undefined {
    const parsed = parseKey(view);
    if (!parsed) return undefined;
    return parsed.kind === "room" ? state.rooms[parsed.name] : state.dms[parsed.name];
  }

  switchTo(view: ViewKey): void {
    const conv = this.conversation(view);
    batch(() => {
      this.view.value = view;
      this.panel.value = "none";
      this.divider.value = conv && conv.unread > 0 ? { view, seq: conv.readSeq } : null;
    });
    this.client.focus(view === STATUS_VIEW ? null : view);
    this.updateTitle();
  }

  cycle(delta: number, unreadOnly = false): void {
    const views = this.views();
    const i = views.indexOf(this.view.value);
    for (let step = 1; step <= views.length; step += 1) {
      const next = views[(i + delta * step + views.length * step) % views.length];
      if (next === undefined) return;
      if (!unreadOnly || (this.conversation(next)?.unread ?? 0) > 0) {
        this.switchTo(next);
        return;
      }
    }
  }

  async loadOlder(view: ViewKey): Promise<number> {
    if (view === STATUS_VIEW) return 0;
    try {
      return await this.client.loadOlder(view as ConversationKey);
    } catch (error) {
      this.print(describeError(error), "error", view);
      return 0;
    }
  }

  // --- input ----------------------------------------------------------------------------------

  /** The composer was submitted: a command, or a message to the current view. */
  async submit(line: string): Promise<void> {
    if (line.trim() === "") return;
    const view = this.view.value;
    if (splitCommand(line)) {
      const result = await runCommand(
        line,
        {
          client: this.client,
          state: this.client.state,
          view,
          print: (text, level) => this.print(text, level ?? "info", this.view.value),
          focus: (v) => this.switchTo(v),
          ask: (label) => this.ask(label, true),
          openUrl: async (url) => {
            if (isOpenable(url)) window.open(url, "_blank", "noopener,noreferrer");
          },
          links: () => this.linksOf(this.view.value),
          logout: () => this.logout(),
          quit: () =>
            this.print("To leave, close this tab (you stay a member of your rooms), or /logout.", "info"),
          keyHelp: WEB_KEY_HELP,
          showResults: (query, results, more) => {
            this.dialog.value = { kind: "search", query, results, more };
          },
        },
        WEB_COMMANDS,
      );
      if (!result.ok) this.print(result.message, "error", this.phase.value === "chat" ? view : STATUS_VIEW);
      return;
    }
    const body = line.startsWith("//") ? line.slice(1) : line;
    if (view === STATUS_VIEW) {
      this.print(
        "This is the status view: open a room or a conversation first, or /join ROOM, /dm USER",
        "error",
        view,
      );
      return;
    }
    const reply = this.replyTo.value?.view === view ? this.replyTo.value.message : undefined;
    this.replyTo.value = null;
    this.client.send(view, body, reply ? { replyTo: reply.id } : {}).catch((error: unknown) => {
      if (!(error instanceof HubError)) this.print(describeError(error), "error", view);
    });
  }

  /** The links of a view, in the order its messages show them (what /open N counts). */
  private linksOf(view: ViewKey): string[] {
    const conv = this.conversation(view);
    return conv ? conv.messages.flatMap((m) => findLinks(m.body).map((l) => l.url)) : [];
  }

  /** Asks a question in a dialog (hidden for passwords); rejects when the user cancels. */
  ask(label: string, secret: boolean, initial?: string): Promise<string> {
    const current = this.dialog.value;
    if (current?.kind === "prompt") current.reject(new Error("replaced by another question"));
    return new Promise<string>((resolve, reject) => {
      this.dialog.value = {
        kind: "prompt",
        label,
        secret,
        resolve,
        reject,
        ...(initial !== undefined && { initial }),
      };
    });
  }

  // --- changing messages, search -------------------------------------------------------------

  /** Edit: asks for the new text, starting from the current one. */
  async editMessage(m: Message): Promise<void> {
    const body = await this.ask("Edit message", false, m.body).catch(() => undefined);
    if (body === undefined || body.trim() === "" || body === m.body) return;
    await this.attempt(() => this.client.edit(m.id, body));
  }

  deleteMessage(m: Message): void {
    this.confirm({
      title: "Delete message",
      text: `Delete this message by ${m.from} for everyone? Its text is erased from the hub.`,
      action: "Delete",
      run: async () => {
        await this.client.deleteMessage(m.id);
      },
    });
  }

  /** Adds your reaction, or takes it back if you had it. */
  async react(m: Message, emoji?: string): Promise<void> {
    const chosen =
      emoji ?? (await this.ask("React with (one emoji, or :name:)", false).catch(() => undefined));
    if (chosen === undefined || chosen.trim() === "") return;
    const e = chosen.trim();
    await this.attempt(() => this.client.react(m.id, e, m.reactions?.[e]?.me !== true));
  }

  reply(m: Message): void {
    this.replyTo.value = { view: this.view.value, message: m };
  }

  /** Search: asks for the words, then shows the results (the same as /search WORDS). */
  async searchMessages(): Promise<void> {
    const query = await this.ask("Search messages", false).catch(() => undefined);
    if (query !== undefined && query.trim() !== "") await this.submit(`/search ${query.trim()}`);
  }

  /** Shows a search result in its conversation, loading older history until it is there. */
  async showResult(r: SearchResult): Promise<void> {
    this.dialog.value = null;
    const view: ViewKey = r.room !== undefined ? roomKey(r.room) : dmKey(r.user ?? "");
    if (r.user !== undefined && !this.client.state.dms[r.user]) await this.client.openDm(r.user);
    this.switchTo(view);
    for (let page = 0; page < 25; page += 1) {
      const conv = this.conversation(view);
      if (!conv || conv.messages.some((m) => m.id === r.id) || !conv.hasOlder) break;
      await this.client.loadOlder(view, 200);
    }
    this.highlight.value = { view, id: r.id };
  }

  /** Asks before an action that cannot be undone; failures land in the current view. */
  confirm(dialog: Omit<Extract<Dialog, { kind: "confirm" }>, "kind">): void {
    this.dialog.value = { kind: "confirm", ...dialog };
  }

  closeDialog(): void {
    const current = this.dialog.value;
    if (current?.kind === "prompt") current.reject(new Error("cancelled"));
    this.dialog.value = null;
  }

  /** Runs a UI action; its error becomes a notice in the current view. Resolves true on success. */
  async attempt(what: () => Promise<unknown>): Promise<boolean> {
    try {
      await what();
      return true;
    } catch (error) {
      this.print(describeError(error), "error", this.view.value);
      return false;
    }
  }

  // --- notices, title, notifications ----------------------------------------------------------

  print(text: string, level: NoticeLevel, view: ViewKey = this.view.value): void {
    const notice: Notice = { id: this.nextNoticeId++, ts: Date.now(), level, text };
    const list = [...(this.notices.value[view] ?? []), notice].slice(-MAX_NOTICES_PER_VIEW);
    this.notices.value = { ...this.notices.value, [view]: list };
  }

  async enableNotifications(): Promise<void> {
    if (typeof Notification === "undefined") return;
    this.notificationPermission.value = await Notification.requestPermission();
  }

  private unreadTotal(state: ClientState = this.client.state): number {
    let total = 0;
    for (const c of [...Object.values(state.rooms), ...Object.values(state.dms)])
      if (!c.muted) total += c.unread;
    return total;
  }

  private updateTitle(): void {
    const unread = this.unreadTotal();
    const where = this.phase.value === "chat" ? ` — ${viewTitle(this.view.value)}` : "";
    this.env.document.title = `${unread > 0 ? `(${unread}) ` : ""}Parley${where}`;
  }

  private onStatus(status: ConnectionStatus): void {
    const before = this.status.value?.state;
    this.status.value = status;
    if (before === "online" && status.state === "reconnecting") {
      this.print(
        "Lost the connection to the hub; reconnecting by itself. What you type is kept.",
        "error",
        STATUS_VIEW,
      );
    } else if (before !== "online" && status.state === "online" && this.everOnline) {
      this.print("Reconnected; missed messages are being fetched", "info", STATUS_VIEW);
    }
    if (status.state === "online") this.everOnline = true;
  }

  private onChange(state: ClientState): void {
    for (const [name, room] of Object.entries(state.rooms))
      if (!this.rooms.has(name)) this.rooms.set(name, room.info);
    const view = this.view.value;
    const gone = view !== STATUS_VIEW && !this.conversation(view, state);
    batch(() => {
      this.state.value = state;
      if (gone) this.view.value = STATUS_VIEW;
    });
    if (gone) this.client.focus(null);
    this.updateTitle();
  }

  private onMessage(n: MessageNotice): void {
    const visible = this.env.document.visibilityState === "visible";
    if (!wantsSystemNotification(n, visible) || this.notificationPermission.value !== "granted") return;
    const title = n.key.startsWith("dm:")
      ? `${n.message.from} (direct message)`
      : `${n.message.from} in ${viewTitle(n.key)}`;
    try {
      this.env.notify?.(title, { body: n.message.body.slice(0, 200), tag: n.key });
    } catch {
      // Some browsers allow notifications only from a service worker; the badge and title still say it.
    }
  }

  private onEvent(ev: AnyEvent): void {
    const me = this.client.state.me?.username ?? "";
    const previous = ev.ev === "room.updated" ? this.rooms.get(ev.room.name) : undefined;
    if (ev.ev === "room.updated") this.rooms.set(ev.room.name, ev.room);
    for (const n of noticesFor(ev, this.client.state, me, previous)) this.print(n.text, n.level, n.view);
  }
}
