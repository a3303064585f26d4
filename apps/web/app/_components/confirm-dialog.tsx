'use client';

import { useId, useRef, type ReactNode } from 'react';
import { useModalDialog } from './use-modal-dialog.ts';
import { DialogFooter } from './dialog-footer.tsx';

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
 * Cancel has the focus first, so Enter alone never confirms.
 */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose }: Props) {
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const { dialogRef, busy, failure, confirm, close } = useModalDialog(cancelRef);

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
      <DialogFooter
        failure={failure}
        close={close}
        confirmLabel={confirmLabel}
        disabled={busy}
        danger
        onConfirm={() => void confirm(onConfirm)}
        cancelRef={cancelRef}
      />
    </dialog>
  );
}
