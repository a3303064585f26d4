/** The tab's title while a match waits for someone who is looking at another tab. */
export const MATCHED_TITLE = 'Matched! — Portal';

let titleAlertActive = false;

/**
 * Shows MATCHED_TITLE until the tab is visible again, then the title the page
 * wants. Next sets the title of the page it navigates to (the chat opens while
 * the tab is hidden), so every change of the head is watched: the page's title
 * is remembered and the alert put back on top of it.
 */
export function raiseTitleAlert(): void {
  if (titleAlertActive || document.visibilityState !== 'hidden') return;
  titleAlertActive = true;
  let wanted = document.title;
  const apply = () => {
    if (document.title === MATCHED_TITLE) return;
    wanted = document.title;
    document.title = MATCHED_TITLE;
  };
  const observer = new MutationObserver(apply);
  const onVisibility = () => {
    if (document.visibilityState !== 'visible') return;
    observer.disconnect();
    document.removeEventListener('visibilitychange', onVisibility);
    titleAlertActive = false;
    document.title = wanted;
  };
  apply();
  observer.observe(document.head, { subtree: true, childList: true, characterData: true });
  document.addEventListener('visibilitychange', onVisibility);
}

/**
 * A short two-note chime made with Web Audio: no file to fetch, nothing for the
 * CSP to allow. Browsers let it play once the page has been interacted with
 * (the Start click, the toggle), in a background tab too.
 */
export function playChime(): void {
  let context: AudioContext;
  try {
    context = new AudioContext();
  } catch {
    return; // no Web Audio here
  }
  void context.resume().catch(() => undefined);
  const start = context.currentTime + 0.02;
  for (const [index, frequency] of [659.25, 987.77].entries()) {
    const at = start + index * 0.16;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.36);
  }
  setTimeout(() => void context.close().catch(() => undefined), 1_000);
}

/** Whether this browser can show notifications from a page (not, e.g., Chrome on Android without a service worker). */
export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** A system notification; clicking it brings the tab forward. Returns it so the caller can close it. */
export function showNotification(body: string): Notification | null {
  if (!notificationsSupported() || Notification.permission !== 'granted') return null;
  try {
    const notification = new Notification('Portal', { body, tag: 'portal-match' });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
    return notification;
  } catch {
    return null; // browsers that only notify through a service worker throw here
  }
}
