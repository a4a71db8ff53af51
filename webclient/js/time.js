// Times as people read them: a clock time in the conversation under a day separator
// ("Today", "Yesterday", "Monday", "3 March 2026"), and a short relative time in the chat
// list ("now", "5 min", "14:03", "Yesterday", "Mon", "3 Mar"). Local time zone throughout.

const DAY_MS = 24 * 60 * 60 * 1000;
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "long" });
const shortWeekday = new Intl.DateTimeFormat(undefined, { weekday: "short" });
const fullDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", year: "numeric" });
const shortDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });

/** Local midnight of a date, as a number (to compare days). */
export function dayOf(value) {
  const at = new Date(value);
  return new Date(at.getFullYear(), at.getMonth(), at.getDate()).getTime();
}

/** Whole days between two dates' local days (0: the same day). */
function daysBetween(earlier, later) {
  return Math.round((dayOf(later) - dayOf(earlier)) / DAY_MS);
}

/** "14:03". */
export function clockTime(iso) {
  return clock.format(new Date(iso));
}

/** "Tuesday, 1 December 2026 at 14:03": for a title attribute. */
export function fullTime(iso) {
  return full.format(new Date(iso));
}

/** A day separator's words: "Today", "Yesterday", a weekday within the week, else the date. */
export function dayLabel(iso, now = Date.now()) {
  const days = daysBetween(iso, now);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return weekday.format(new Date(iso));
  return fullDate.format(new Date(iso));
}

/** The chat list's time of a last message: "now", "5 min", "14:03", "Yesterday", "Mon", "3 Mar". */
export function listTime(iso, now = Date.now()) {
  const ago = now - Date.parse(iso);
  if (ago < 60 * 1000) return "now";
  if (ago < 60 * 60 * 1000) return `${Math.floor(ago / 60000)} min`;
  const days = daysBetween(iso, now);
  if (days === 0) return clockTime(iso);
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return shortWeekday.format(new Date(iso));
  return shortDate.format(new Date(iso));
}
