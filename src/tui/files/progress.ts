/** A one-line progress bar for transfers, e.g. `[######----] 60% 3.0/5.0 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  const percent = Math.floor(ratio * 100);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${formatBytes(done)}/${formatBytes(total)}`;
}
