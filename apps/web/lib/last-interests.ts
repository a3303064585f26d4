import { checkInterest, checkInterests, MAX_INTERESTS } from '@portal/contracts/browser';

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
    return parsed
      .filter((tag): tag is string => typeof tag === 'string' && checkInterest(tag).ok)
      .slice(0, MAX_INTERESTS);
  } catch {
    return [];
  }
}

const FALLBACK_KEY = 'portal:last-fallback';

/** The "match me with anyone" choice of the latest search, remembered like its tags. */
export function saveLastFallback(fallback: boolean): void {
  try {
    sessionStorage.setItem(FALLBACK_KEY, fallback ? '1' : '0');
  } catch {
    // As above: without storage the box simply starts unticked.
  }
}

export function loadLastFallback(): boolean {
  try {
    return sessionStorage.getItem(FALLBACK_KEY) === '1';
  } catch {
    return false;
  }
}

const RELOAD_KEY = 'portal:search-on-reload';

/**
 * Leaving the page ends its search (SPEC §9: nobody is matched with a closed
 * page), a reload included. The search is noted here as the page goes, and the
 * reloaded page starts it again; any other way back to the page (a restored tab,
 * Back from another site) starts with the picker.
 */
export function noteSearchForReload(interests: readonly string[], fallback: boolean): void {
  try {
    sessionStorage.setItem(RELOAD_KEY, JSON.stringify({ interests, fallback }));
  } catch {
    // Without storage a reload simply shows the picker.
  }
}

/** The search noted by the previous page of this tab, if this page is its reload; the note is used up either way. */
export function takeSearchAfterReload(): { interests: string[]; fallback: boolean } | null {
  try {
    const raw = sessionStorage.getItem(RELOAD_KEY);
    if (raw === null) return null;
    sessionStorage.removeItem(RELOAD_KEY);
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (navigation?.type !== 'reload') return null;
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { interests, fallback } = parsed as { interests?: unknown; fallback?: unknown };
    if (!Array.isArray(interests) || !interests.every((tag) => typeof tag === 'string')) return null;
    const tags = checkInterests(interests);
    return tags.ok ? { interests: tags.value, fallback: fallback === true } : null;
  } catch {
    return null;
  }
}
