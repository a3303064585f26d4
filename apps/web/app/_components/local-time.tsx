'use client';

import { useSyncExternalStore } from 'react';
import { formatDateTime, formatTime, formatUtc } from '../../lib/time.ts';

const noSubscription = () => () => undefined;

/**
 * A timestamp in the reader's own time zone and language (`show`: date and time, or the
 * time of day). The server knows neither: the page arrives with the time in UTC, hydrates
 * with that same text (any other would be a hydration error, after which React renders
 * the whole page again in the browser), and shows the local time right after. Rendered
 * in the browser alone (a later visit in the tab), it is local at once.
 */
export function LocalTime({
  iso,
  show = 'datetime',
  className,
}: {
  iso: string;
  show?: 'datetime' | 'time';
  className?: string;
}) {
  const local = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  const text = !local ? formatUtc(iso, show) : show === 'time' ? formatTime(iso) : formatDateTime(iso);
  return (
    <time dateTime={iso} className={className}>
      {text}
    </time>
  );
}
