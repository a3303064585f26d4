'use client';

import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { describeError } from '../../lib/errors.ts';

interface Props {
  title: string;
  /** What confirming does, read out with the dialog. */
  children: ReactNode;
  confirmLabel: string;
  /** Rejects to keep the dialog open with the error shown. */
  onConfirm: () => Promise<void>;
  /** The dialog closed (confirmed, cancelled or Escape); the owner unmounts it. */
  onClose: () => void;
}

/**
 * "Are you sure?" for an action that cannot be taken back in one click (a block).
 * A native <dialog> opened with showModal(), like ReasonDialog: focus stays inside,
 * Escape closes it and focus returns to the button that opened it. Cancel has the
 * focus first, so Enter alone never confirms.
 */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose }: Props) {
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog || dialog.open) return;
    dialog.showModal();
    cancelRef.current?.focus();
  }, []);

  async function confirm() {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      await onConfirm();
      dialogRef.current?.close();
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-intro`}
      onClose={onClose}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <div id={`${id}-intro`} className="dialog-intro">
        {children}
      </div>
      {failure && (
        <div role="alert" className="callout callout-error">
          <p>{failure}</p>
        </div>
      )}
      <div className="dialog-actions">
        <button ref={cancelRef} type="button" className="button" onClick={() => dialogRef.current?.close()}>
          Cancel
        </button>
        <button type="button" className="button button-danger" disabled={busy} onClick={() => void confirm()}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
