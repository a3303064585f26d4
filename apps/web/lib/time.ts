import { useEffect, useState } from 'react';

const pad = (value: number): string => String(value).padStart(2, '0');

/** 75 s → "01:15". */
export function formatMinutes(totalMs: number): string {
  const seconds = Math.max(0, Math.floor(totalMs / 1000));
  return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`;
}

/** 3 725 s → "01:02:05". */
export function formatHours(totalMs: number): string {
  const seconds = Math.max(0, Math.floor(totalMs / 1000));
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

/** The current time, re-rendered every `intervalMs`; null before hydration so server and client agree. */
export function useNow(intervalMs = 1000): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

// Made on first use: the first Intl.DateTimeFormat loads the locale's data, tens of milliseconds
// that a page which shows no date (and every page imports this module) should not spend starting up.
let dateTimeFormat: Intl.DateTimeFormat | undefined;
let timeFormat: Intl.DateTimeFormat | undefined;

/** An ISO timestamp as the reader's local date and time ("12 May 2026, 14:05"). */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  dateTimeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return dateTimeFormat.format(date);
}

/** An ISO timestamp as the reader's local time of day. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  timeFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  return timeFormat.format(date);
}

/**
 * An ISO timestamp as the same text on any machine, server or browser, whatever its
 * zone and language: "2026-05-12 14:05 UTC", or "14:05 UTC" for `time`.
 */
export function formatUtc(iso: string, show: 'datetime' | 'time'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = date.toISOString();
  const time = `${text.slice(11, 16)} UTC`;
  return show === 'time' ? time : `${text.slice(0, 10)} ${time}`;
}
