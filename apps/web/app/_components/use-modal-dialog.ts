'use client';

import { useEffect, useRef, useState, type RefObject } from 'react';
import { describeError } from '../../lib/errors.ts';

/**
 * What every modal of ours shares: a native <dialog> shown with showModal() on
 * mount (the browser keeps focus inside, closes it on Escape and gives focus back
 * to the opener), focus on `first`, and a confirm action that closes the dialog
 * when it succeeds and keeps it open with the error shown when it fails.
 */
export function useModalDialog(first: RefObject<HTMLElement | null>, describe = describeError) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog || dialog.open) return;
    // No close() on cleanup: unmounting removes the dialog from the top layer anyway, and a
    // close() there would fire `close` and unmount it again under Strict Mode's double effects.
    dialog.showModal();
    first.current?.focus();
    // Once, on mount: the ref object is stable.
  }, [first]);

  async function confirm(action: () => Promise<void>): Promise<void> {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      await action();
      dialogRef.current?.close();
    } catch (error) {
      setFailure(describe(error));
    } finally {
      setBusy(false);
    }
  }

  return { dialogRef, busy, failure, confirm, close: () => dialogRef.current?.close() };
}
