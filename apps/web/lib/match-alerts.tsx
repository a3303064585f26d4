'use client';

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { loadAlertSettings } from './alert-settings.ts';
import { playChime, raiseTitleAlert, showNotification } from './attention.ts';

const ANNOUNCEMENT_KEPT_MS = 30_000;

interface Announcement {
  /** A new one for every match: a new element in the live region, so a second match is heard as well. */
  id: number;
  text: string;
}

interface MatchAlerts {
  announcement: Announcement | null;
  /** A search of this tab was matched: announce it once, and alert a person who is looking elsewhere. */
  matched: (match: { fallback: boolean }) => void;
}

const MatchAlertsContext = createContext<MatchAlerts>({ announcement: null, matched: () => undefined });

/**
 * Lives above the pages, so an alert outlasts the move from the searching view
 * to the chat: the title alert stays until the tab is seen, and the live region
 * (MatchAnnouncer) is the same element before and after, so a screen reader
 * hears the match once.
 */
export function MatchAlertsProvider({ children }: { children: ReactNode }) {
  const [announcement, setAnnouncement] = useState<Announcement | null>(null);
  const notification = useRef<Notification | null>(null);

  const matched = useCallback((match: { fallback: boolean }) => {
    const text = match.fallback
      ? 'Matched with someone new! Opening your chat.'
      : 'Matched! Opening your chat with someone who shares your interests.';
    setAnnouncement((current) => ({ id: (current?.id ?? 0) + 1, text }));
    const hidden = document.visibilityState === 'hidden';
    if (hidden) raiseTitleAlert();
    const settings = loadAlertSettings();
    if (settings.sound) playChime();
    // A page in view already shows the chat; the notification is for a person on another tab or window.
    if (settings.notify && hidden) notification.current = showNotification(text);
  }, []);

  // Gone after a while, so nobody reading the page later comes across a stale "Matched!" (removal is not announced).
  useEffect(() => {
    if (announcement === null) return;
    const timer = setTimeout(() => setAnnouncement(null), ANNOUNCEMENT_KEPT_MS);
    return () => clearTimeout(timer);
  }, [announcement]);

  // Once the person is back, the notification has nothing left to say.
  useEffect(() => {
    const onVisibility = () => {
      if (document.visibilityState !== 'visible') return;
      notification.current?.close();
      notification.current = null;
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  const value = useMemo(() => ({ announcement, matched }), [announcement, matched]);
  return <MatchAlertsContext value={value}>{children}</MatchAlertsContext>;
}

export function useMatchAlerts(): MatchAlerts['matched'] {
  return useContext(MatchAlertsContext).matched;
}

/** The polite live region the match is announced in: always in the page, inside <main>, so it is heard. */
export function MatchAnnouncer() {
  const { announcement } = useContext(MatchAlertsContext);
  return (
    <div className="sr-only" role="status" data-testid="match-announcement">
      {announcement && <p key={announcement.id}>{announcement.text}</p>}
    </div>
  );
}
