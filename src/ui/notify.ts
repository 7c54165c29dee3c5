/**
 * When a new message deserves the user's attention. One rule, in one place:
 * - your own messages and muted rooms/users never notify;
 * - a message in a view you are not looking at shows a one-line notice (its unread count rises in the SDK);
 * - a DM or a mention of your name also rings the terminal bell, wherever you are looking, because the
 *   terminal itself may be in a background tab.
 */
import type { MessageNotice } from "../client/core/index.js";

export interface Notification {
  /** Show a one-line notice. */
  notice: boolean;
  /** Ring the terminal bell. */
  bell: boolean;
}

export function notificationFor(n: MessageNotice): Notification {
  if (n.own || n.muted) return { notice: false, bell: false };
  const isDm = n.key.startsWith("dm:");
  return { notice: !n.focused, bell: isDm || n.mention };
}

/**
 * The browser's system notification, from the same rule as the bell: a DM or a mention, never your
 * own or a muted one — and not while you are looking at that conversation (page visible, view open).
 */
export function wantsSystemNotification(n: MessageNotice, pageVisible: boolean): boolean {
  const what = notificationFor(n);
  return what.bell && (!pageVisible || !n.focused);
}
