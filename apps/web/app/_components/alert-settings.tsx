'use client';

import { useEffect, useId, useState } from 'react';
import { saveAlertSettings, useAlertSettings } from '../../lib/alert-settings.ts';
import { notificationsSupported, playChime } from '../../lib/attention.ts';

const BLOCKED =
  'Notifications are blocked for this site. Allow them in your browser’s site settings, then turn this on again.';

/**
 * The optional match alerts, each off until the person turns it on (remembered
 * in this browser). Notification permission is asked for only here, when the
 * box is ticked.
 */
export function AlertSettings() {
  const id = useId();
  const settings = useAlertSettings();
  const [note, setNote] = useState<string | null>(null);
  // Known only in the browser: the server renders the box enabled.
  const [canNotify, setCanNotify] = useState(true);
  useEffect(() => setCanNotify(notificationsSupported()), []);
  // Turned on earlier, blocked since in the browser's settings: say so rather than stay silent at the match.
  useEffect(() => {
    if (settings.notify && notificationsSupported() && Notification.permission !== 'granted') setNote(BLOCKED);
  }, [settings.notify]);

  function toggleSound(on: boolean) {
    saveAlertSettings({ ...settings, sound: on });
    // Turning it on plays it once, so the person knows what to listen for.
    if (on) playChime();
  }

  async function toggleNotify(on: boolean) {
    setNote(null);
    if (!on) {
      saveAlertSettings({ ...settings, notify: false });
      return;
    }
    let permission = Notification.permission;
    if (permission === 'default') {
      try {
        permission = await Notification.requestPermission();
      } catch {
        permission = 'denied';
      }
    }
    if (permission === 'granted') saveAlertSettings({ ...settings, notify: true });
    else setNote(BLOCKED);
  }

  return (
    <fieldset className="alert-settings">
      <legend>When you are matched</legend>
      <p className="field-help">This tab’s title changes to “Matched!” while you are looking elsewhere.</p>
      <label className="checkbox">
        <input type="checkbox" checked={settings.sound} onChange={(event) => toggleSound(event.target.checked)} />
        Play a sound
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={settings.notify && canNotify}
          disabled={!canNotify}
          aria-describedby={`${id}-notify`}
          onChange={(event) => void toggleNotify(event.target.checked)}
        />
        Show a notification
      </label>
      <p id={`${id}-notify`} className="field-help" aria-live="polite">
        {note ??
          (canNotify ? 'Only while this tab is in the background.' : 'This browser cannot show notifications here.')}
      </p>
    </fieldset>
  );
}
