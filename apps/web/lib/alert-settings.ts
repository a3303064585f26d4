import { useSyncExternalStore } from 'react';

/** The optional match alerts a person turned on (the title alert and the screen reader announcement are always on). */
export interface AlertSettings {
  sound: boolean;
  notify: boolean;
}

export const NO_ALERTS: AlertSettings = Object.freeze({ sound: false, notify: false });

const KEY = 'portal:match-alerts';

/** What localStorage holds, read leniently: anything but an explicit `true` is off. */
export function parseAlertSettings(raw: string | null): AlertSettings {
  if (raw === null) return NO_ALERTS;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return NO_ALERTS;
    const { sound, notify } = value as Partial<Record<keyof AlertSettings, unknown>>;
    return { sound: sound === true, notify: notify === true };
  } catch {
    return NO_ALERTS;
  }
}

/** Where the settings live when storage is disabled: until the page is left. */
let memory: string | null = null;

function readRaw(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return memory;
  }
}

// One parsed object per stored string, so useSyncExternalStore sees a stable snapshot.
let cached: { raw: string | null; settings: AlertSettings } = { raw: null, settings: NO_ALERTS };

export function loadAlertSettings(): AlertSettings {
  const raw = readRaw();
  if (raw !== cached.raw) cached = { raw, settings: parseAlertSettings(raw) };
  return cached.settings;
}

const listeners = new Set<() => void>();

export function saveAlertSettings(settings: AlertSettings): void {
  const raw = JSON.stringify(settings);
  try {
    localStorage.setItem(KEY, raw);
  } catch {
    memory = raw;
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab changed them: the `storage` event says so.
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

/** The settings, kept in step with localStorage in this tab and others; off while rendering on the server. */
export function useAlertSettings(): AlertSettings {
  return useSyncExternalStore(subscribe, loadAlertSettings, () => NO_ALERTS);
}
