/**
 * How a direct chat shows in the TUI: its messages as pane lines (own ones ticked once the peer
 * acknowledged them) and the path as a word for the status line.
 */
import type { DirectMessage, DirectPath } from "../../client/index.js";
import type { Trust } from "../../peer/contacts.js";
import { trustWord } from "./verify.js";
import type { MessageLine } from "../model/lines.js";
import { parseRichText } from "../../ui/markdown.js";
import { sanitize } from "../render/sanitize.js";

/** One user's direct chat, as the controller's snapshot holds it. */
export interface DirectView {
  /**
   * `connecting` from the accept (or request) until a path is up; `direct`/`relay` while connected,
   * null while re-establishing, `hub` once it fell back (until the user moves on); undefined otherwise.
   */
  path: DirectPath | "connecting" | null | undefined;
  /** The direct messages with this person, of this chat and of the ones before it this session. */
  messages: readonly DirectMessage[];
  /** How the user's device stands here (their chat's device, else the last one seen); undefined when none was. */
  trust?: Trust | undefined;
}

export type DirectViews = Readonly<Record<string, DirectView>>;

// Messages are replaced, never changed, when a tick arrives; the parse is kept per body.
const parsed = new Map<string, ReturnType<typeof parseRichText>>();

function richOf(body: string): ReturnType<typeof parseRichText> {
  let rich = parsed.get(body);
  if (!rich) {
    rich = parseRichText(sanitize(body, { multiline: true }));
    if (parsed.size > 2_000) parsed.clear();
    parsed.set(body, rich);
  }
  return rich;
}

export function directLine(m: DirectMessage): MessageLine {
  return {
    kind: "message",
    key: `d${m.id}`,
    ts: m.ts,
    from: sanitize(m.from),
    rich: richOf(m.body),
    own: m.own,
    mention: false,
    pending: m.own && !m.acked,
    tick: m.own && m.acked,
  };
}

/** The word the status line shows for a user's direct chat. */
export function pathLabel(view: DirectView | undefined): string | undefined {
  if (!view || view.path === undefined) return undefined;
  switch (view.path) {
    case "direct":
      return "p2p direct";
    case "relay":
      return "p2p relayed";
    case "connecting":
      return "p2p connecting";
    case "hub":
      return "p2p ended, hub DMs";
    case null:
      return "p2p reconnecting";
  }
}

/** The word the status line shows for how the user's device stands: `verified`, `unverified`, `KEY CHANGED`. */
export function trustLabel(view: DirectView | undefined): string | undefined {
  return trustWord(view?.trust);
}
