/** Small display helpers: times, initials, colours. */
export function formatTime(ts: number, now: number = Date.now()): string {
  const d = new Date(ts);
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (d.toDateString() === new Date(now).toDateString()) return hm;
  return `${d.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" })} ${hm}`;
}

/** A stable hue per name, so a person keeps their colour everywhere. */
export function hueOf(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

/** One of 12 colour classes (the CSP allows no inline styles). */
export function colourClass(name: string): string {
  return `c${Math.floor(hueOf(name) / 30)}`;
}
