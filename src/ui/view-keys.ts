/** What the message pane can show: a room, a DM, or the status view (command output, hub notices). */
import type { ConversationKey } from "../client/core/index.js";

export const STATUS_VIEW = "status";
export type ViewKey = ConversationKey | typeof STATUS_VIEW;

export function viewTitle(key: ViewKey): string {
  if (key === STATUS_VIEW) return "status";
  if (key.startsWith("room:")) return `#${key.slice(5)}`;
  return `@${key.slice(3)}`;
}
