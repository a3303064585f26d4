'use client';

import type { Ref } from 'react';

interface Props {
  /** Why the last confirm failed (the dialog stays open), or null. */
  failure: string | null;
  close: () => void;
  confirmLabel: string;
  /** Disables the confirm button (a confirm in flight, or input not ready). */
  disabled: boolean;
  danger?: boolean;
  /** Without it the confirm button submits the dialog's form. */
  onConfirm?: () => void;
  cancelRef?: Ref<HTMLButtonElement>;
}

/** The bottom of every modal of ours: the failure, Cancel, and the confirm button. */
export function DialogFooter({ failure, close, confirmLabel, disabled, danger = false, onConfirm, cancelRef }: Props) {
  return (
    <>
      {failure && (
        <div role="alert" className="callout callout-error">
          <p>{failure}</p>
        </div>
      )}
      <div className="dialog-actions">
        <button ref={cancelRef} type="button" className="button" onClick={close}>
          Cancel
        </button>
        <button
          type={onConfirm ? 'button' : 'submit'}
          className={danger ? 'button button-danger' : 'button button-primary'}
          disabled={disabled}
          onClick={onConfirm}
        >
          {confirmLabel}
        </button>
      </div>
    </>
  );
}
