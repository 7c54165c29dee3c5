/**
 * The open conversation: messages (role log, one list item each), messages still waiting in the
 * outbox, notices, the "new messages" divider at the read marker, and "N messages missing" where the
 * hub could not fill a gap. Scrolling to the top loads older history, keeping your place.
 */
import type { JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { mentions, type ConversationState, type OutboxEntry } from "../../client/core/index.js";
import type { Message } from "../../protocol/index.js";
import { viewTitle, type ViewKey } from "../../ui/view-keys.js";
import type { Notice, WebApp } from "../app/controller.js";
import { acceptsFiles, dropFiles } from "./Composer.js";
import { colourClass, formatTime } from "./format.js";
import { FileView } from "./FileView.js";
import { RichText } from "./RichText.js";

type Item =
  | { kind: "message"; ts: number; m: Message }
  | { kind: "pending"; ts: number; e: OutboxEntry }
  | { kind: "notice"; ts: number; n: Notice };

/** Messages, pending sends and notices in time order (messages first on a tie: a notice reacts to them). */
function itemsOf(
  conv: ConversationState | undefined,
  outbox: readonly OutboxEntry[],
  notices: readonly Notice[],
  view: ViewKey,
): Item[] {
  const messages: Item[] = (conv?.messages ?? []).map((m) => ({ kind: "message", ts: m.ts, m }));
  const seen = new Set(conv?.messages.map((m) => m.cid));
  for (const e of outbox)
    if (e.key === view && !seen.has(e.cid)) messages.push({ kind: "pending", ts: e.createdAt, e });
  const out: Item[] = [];
  let j = 0;
  for (const item of messages) {
    while (j < notices.length && notices[j]!.ts < item.ts)
      out.push({ kind: "notice", ts: notices[j]!.ts, n: notices[j++]! });
    out.push(item);
  }
  while (j < notices.length) out.push({ kind: "notice", ts: notices[j]!.ts, n: notices[j++]! });
  return out;
}

const NO_NOTICES: readonly Notice[] = [];

export function MessagePane({ app }: { app: WebApp }): JSX.Element {
  const state = app.state.value!;
  const view = app.view.value;
  const conv = app.conversation(view, state);
  const notices = app.notices.value[view] ?? NO_NOTICES;
  const me = state.me?.username ?? "";
  const divider = app.divider.value?.view === view ? app.divider.value.seq : null;
  const highlight = app.highlight.value;
  // Admins and the owner may delete others' messages (the hub checks rank; a refusal says so).
  const role = conv?.kind === "room" ? conv.myRole : null;
  const moderator = role === "admin" || role === "owner";
  const ref = useRef<HTMLElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<number | null>(null);
  const loading = useRef(false);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (anchor.current !== null) {
      el.scrollTop = el.scrollHeight - anchor.current;
      anchor.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  });
  useLayoutEffect(() => {
    atBottom.current = true;
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [view]);
  // A search result shown in place: bring it into sight.
  useLayoutEffect(() => {
    if (highlight?.view !== view) return;
    const el = ref.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(highlight.id)}"]`);
    if (el) {
      atBottom.current = false;
      el.scrollIntoView({ block: "center" });
    }
  }, [highlight, view]);

  /** Near the top (or a pane not yet full): load the page before the oldest message, keeping your place. */
  const maybeLoadOlder = (): void => {
    const el = ref.current;
    if (!el || !conv?.hasOlder || loading.current || el.scrollTop >= 80) return;
    loading.current = true;
    const fromBottom = el.scrollHeight - el.scrollTop;
    void app.loadOlder(view).then((added) => {
      if (added > 0) anchor.current = fromBottom;
      loading.current = false;
    });
  };
  // A conversation opened with fewer messages than fill the pane (only the unread ones, say) shows
  // its earlier history at once, as scrolling up would.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && el.scrollHeight <= el.clientHeight + 80) maybeLoadOlder();
  });

  const onScroll = (): void => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    maybeLoadOlder();
  };

  const rows: JSX.Element[] = [];
  let previous: Message | undefined;
  let dividerShown = false;
  for (const item of itemsOf(conv, state.outbox, notices, view)) {
    if (item.kind === "message") {
      const m = item.m;
      // Only holes the SDK found the hub could not fill: other seqs between messages are edits,
      // deletions and reactions (or messages hidden from you).
      const missing = conv?.missing?.[m.seq] ?? 0;
      if (previous && missing > 0) {
        rows.push(
          <li key={`gap-${m.seq}`} class="gap" role="note">
            {missing === 1 ? "1 message missing" : `${missing} messages missing`} (the hub no longer has{" "}
            {missing === 1 ? "it" : "them"})
          </li>,
        );
      }
      if (divider !== null && !dividerShown && m.seq > divider && m.from !== me) {
        dividerShown = true;
        rows.push(
          <li key="divider" class="divider" role="separator" aria-label="New messages">
            <span>New messages</span>
          </li>,
        );
      }
      previous = m;
      const own = m.from === me;
      const mention = !own && !m.deleted && me !== "" && mentions(m.body, me);
      const marked = highlight?.view === view && highlight.id === m.id;
      rows.push(
        <li
          key={`m${m.id}`}
          class={`msg${own ? " own" : ""}${m.notice ? " notice-msg" : ""}${mention ? " mention" : ""}${marked ? " highlight" : ""}`}
          data-seq={m.seq}
          data-id={m.id}
          {...(marked ? { "aria-current": "true" } : {})}
        >
          {m.quote ? (
            <blockquote class="quote" aria-label={`Reply to ${m.quote.from}`}>
              <span class={`from ${colourClass(m.quote.from)}`}>{m.quote.from}</span>{" "}
              {m.quote.deleted ? <em>message deleted</em> : m.quote.text}
            </blockquote>
          ) : null}
          <span class={`from ${colourClass(m.from)}`}>{m.from}</span>{" "}
          <time dateTime={new Date(m.ts).toISOString()}>{formatTime(m.ts)}</time>
          {m.editedAt !== undefined && !m.deleted ? <span class="edited"> (edited)</span> : null}
          <div class="body">
            {m.deleted ? (
              <em class="deleted">message deleted</em>
            ) : m.e2e ? (
              // An end-to-end encrypted room's message: the browser holds no device keys to open it.
              <em class="sealed">sealed (end-to-end encrypted): open it in the terminal client</em>
            ) : (
              <RichText body={m.body} />
            )}
            {m.file && !m.deleted ? <FileView app={app} file={m.file} /> : null}
          </div>
          {m.reactions && !m.deleted ? (
            <div class="reactions" role="group" aria-label="Reactions">
              {Object.entries(m.reactions).map(([emoji, r]) => (
                <button
                  key={emoji}
                  type="button"
                  class={r.me ? "reaction mine" : "reaction"}
                  aria-pressed={r.me}
                  aria-label={`${emoji} ${r.count}${r.me ? ", yours: take back" : ""}`}
                  onClick={() => void app.react(m, emoji)}
                >
                  {emoji} {r.count}
                </button>
              ))}
            </div>
          ) : null}
          {m.deleted ? null : (
            <div class="actions" role="group" aria-label="Message actions">
              {/* Replies, reactions and edits are not sealed yet, so e2e rooms refuse them. */}
              {m.e2e ? null : (
                <button type="button" onClick={() => app.reply(m)}>
                  Reply
                </button>
              )}
              {m.e2e ? null : (
                <button type="button" onClick={() => void app.react(m)}>
                  React
                </button>
              )}
              {own && !m.e2e ? (
                <button type="button" onClick={() => void app.editMessage(m)}>
                  Edit
                </button>
              ) : null}
              {own || moderator ? (
                <button type="button" onClick={() => app.deleteMessage(m)}>
                  Delete
                </button>
              ) : null}
            </div>
          )}
        </li>,
      );
    } else if (item.kind === "pending") {
      rows.push(
        <li key={`p${item.e.cid}`} class="msg own pending" aria-busy="true">
          <span class={`from ${colourClass(me)}`}>{me}</span> <time>sending…</time>
          <div class="body">
            <RichText body={item.e.body} />
            {item.e.file ? <span class="file-facts">{item.e.file.name}</span> : null}
          </div>
        </li>,
      );
    } else {
      rows.push(
        <li key={`n${item.n.id}`} class={`notice ${item.n.level}`}>
          <time dateTime={new Date(item.n.ts).toISOString()}>{formatTime(item.n.ts)}</time> {item.n.text}
        </li>,
      );
    }
  }

  return (
    <section
      class="log"
      role="log"
      aria-label={`Messages in ${viewTitle(view)}`}
      ref={ref}
      onScroll={onScroll}
      tabIndex={0}
      onDragOver={(e) => acceptsFiles(e) && e.preventDefault()}
      onDrop={(e) => dropFiles(app, e)}
    >
      {conv?.hasOlder ? (
        <button type="button" class="link older" onClick={() => void app.loadOlder(view)}>
          Load older messages
        </button>
      ) : conv ? (
        <p class="start">This is the beginning of {viewTitle(view)}.</p>
      ) : null}
      <ul>{rows}</ul>
    </section>
  );
}
