'use client';

import { checkReason, MAX_REASON_LENGTH } from '@portal/contracts/browser';
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { describeError } from '../../lib/errors.ts';
import { useModalDialog } from './use-modal-dialog.ts';
import { DialogFooter } from './dialog-footer.tsx';

interface Props {
  title: string;
  /** What confirming does, read out with the dialog. */
  children: ReactNode;
  confirmLabel: string;
  /** Lifting a restriction or dismissing a report: the reason may stay empty. */
  optional?: boolean;
  /** Rejects to keep the dialog open with the error shown. */
  onConfirm: (reason: string | undefined) => Promise<void>;
  /** The dialog closed (confirmed, cancelled or Escape); the owner unmounts it. */
  onClose: () => void;
  describe?: (error: unknown) => string;
}

/**
 * A modal asking why (reports, blocks, suspensions), checked live with the
 * shared rule (`checkReason`). A native <dialog> opened with showModal(): the
 * browser keeps focus inside, closes it on Escape and gives focus back to the
 * button that opened it.
 */
export function ReasonDialog({
  title,
  children,
  confirmLabel,
  optional = false,
  onConfirm,
  onClose,
  describe = describeError,
}: Props) {
  const id = useId();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const { dialogRef, busy, failure, confirm, close } = useModalDialog(inputRef, describe);
  const [text, setText] = useState('');
  const [tried, setTried] = useState(false);

  const empty = text.trim() === '';
  const check = checkReason(text);
  const issue = optional && empty ? null : check.ok ? null : check.message;
  // Too long is worth saying at once; empty only after an attempt to confirm.
  const shownIssue = text.length > MAX_REASON_LENGTH || tried ? issue : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    if (issue) {
      setTried(true);
      inputRef.current?.focus();
      return;
    }
    await confirm(() => onConfirm(check.ok && !empty ? check.value : undefined));
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-intro`}
      onClose={onClose}
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id={`${id}-title`}>{title}</h2>
        <div id={`${id}-intro`} className="dialog-intro">
          {children}
        </div>
        <label htmlFor={`${id}-reason`} className="field-label">
          Reason{optional ? ' (optional)' : ''}
        </label>
        <textarea
          ref={inputRef}
          id={`${id}-reason`}
          className="text-input"
          rows={4}
          value={text}
          onChange={(event) => setText(event.target.value)}
          required={!optional}
          aria-invalid={shownIssue ? true : undefined}
          aria-describedby={`${id}-help ${id}-issue`}
        />
        <p id={`${id}-help`} className="field-help">
          Up to {MAX_REASON_LENGTH} characters.{' '}
          <span className={text.length > MAX_REASON_LENGTH ? 'count count-over' : 'count'}>
            {text.length}/{MAX_REASON_LENGTH}
          </span>
        </p>
        <p id={`${id}-issue`} className="field-message" aria-live="polite">
          {shownIssue}
        </p>
        <DialogFooter failure={failure} close={close} confirmLabel={confirmLabel} disabled={busy} />
      </form>
    </dialog>
  );
}
