/** Timestamps in the message pane: local HH:MM, with the date in front when it is not today. */
export function formatTime(ts: number, now: number = Date.now()): string {
  const d = new Date(ts);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
