import { MAX_INTERESTS, ZInterest } from '@portal/contracts';

const KEY = 'portal:last-interests';

/** The tags of the latest search, so "Find a new partner" can pre-fill the picker in this tab. */
export function saveLastInterests(tags: readonly string[]): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(tags));
  } catch {
    // Storage can be disabled; the picker then simply starts empty.
  }
}

export function loadLastInterests(): string[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((tag): tag is string => ZInterest.safeParse(tag).success).slice(0, MAX_INTERESTS);
  } catch {
    return [];
  }
}
