/** What the agent records after a call (its outcome, notes and tags), and the fields derived for the statistics. */

export const MAX_NOTES_LENGTH = 10_000;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * The quarter-hour a time lies in, as whole quarter-hours since the epoch. Every time zone's offset
 * from UTC is a whole number of quarter-hours, so one quarter-hour never spans two local days.
 */
export const quarterHourOf = (time: Date): number => Math.floor(time.getTime() / QUARTER_HOUR_MS);

/** The instant a quarter-hour (quarterHourOf) starts. */
export const quarterHourStart = (quarterHour: number): Date => new Date(quarterHour * QUARTER_HOUR_MS);

/** A tag as the `tag` filter and the uniqueness of a call's tags see it: trimmed, case and compatibility forms folded. */
export const tagKey = (tag: string): string => tag.trim().normalize('NFKC').toLowerCase();

/** The tags as stored: trimmed, the first spelling of each kept, in the order given. */
export function normalizeTags(tags: string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const tag of tags) {
    const key = tagKey(tag);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(tag.trim());
  }
  return kept;
}

/** Seconds from the start of the call to its answer, for the statistics' averageRingSeconds. */
export const ringSecondsOf = (startTime: Date, answerTime: Date): number => (answerTime.getTime() - startTime.getTime()) / 1000;
