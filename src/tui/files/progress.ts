/** A one-line progress bar for transfers, e.g. `[######----] 60% 3.0/5.0 MiB`. */
import { formatBytes } from "../../protocol/bytes.js";

export { formatBytes };
export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  const percent = Math.floor(ratio * 100);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${formatBytes(done)}/${formatBytes(total)}`;
}
