'use client';

import type { TModerationResult } from '@portal/contracts';
import { checkReason, MAX_REASON_LENGTH } from '@portal/contracts/browser';
import { useId, useState, type FormEvent } from 'react';
import { serverMessageOf } from '../../lib/errors.ts';

interface Props {
  title: string;
  idLabel: string;
  submitLabel: string;
  /** Rejects with the server's refusal (unknown id, …), shown under the form. */
  onLift: (id: string, reason: string | undefined) => Promise<TModerationResult>;
  describeDone: (result: TModerationResult) => string;
}

/** Lifts a block or a suspension by id (from a report, the audit trail, or a person writing in). */
export function LiftForm({ title, idLabel, submitLabel, onLift, describeDone }: Props) {
  const id = useId();
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const trimmed = target.trim();
  const targetIssue = trimmed === '' ? `Enter the ${idLabel.toLowerCase()}.` : null;
  // The note is optional: left empty, the lift goes without one.
  const noteCheck = note.trim() === '' ? { ok: true as const, value: undefined } : checkReason(note);
  const noteIssue = noteCheck.ok ? null : noteCheck.message;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (targetIssue || !noteCheck.ok || busy) return;
    setBusy(true);
    setOutcome(null);
    try {
      const result = await onLift(trimmed, noteCheck.value);
      setOutcome({ ok: true, text: describeDone(result) });
      setTarget('');
      setNote('');
      setTried(false);
    } catch (error) {
      setOutcome({ ok: false, text: serverMessageOf(error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="lift-form" onSubmit={(event) => void submit(event)} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      <div className="field">
        <label htmlFor={`${id}-target`} className="field-label">
          {idLabel}
        </label>
        <input
          id={`${id}-target`}
          className="text-input mono"
          type="text"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={64}
          value={target}
          onChange={(event) => setTarget(event.target.value)}
          aria-invalid={tried && targetIssue ? true : undefined}
          aria-describedby={`${id}-target-issue`}
        />
        <p id={`${id}-target-issue`} className="field-message" aria-live="polite">
          {tried ? targetIssue : null}
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-note`} className="field-label">
          Note (optional)
        </label>
        <input
          id={`${id}-note`}
          className="text-input"
          type="text"
          value={note}
          onChange={(event) => setNote(event.target.value)}
          aria-invalid={noteIssue ? true : undefined}
          aria-describedby={`${id}-note-issue`}
        />
        <p id={`${id}-note-issue`} className="field-message" aria-live="polite">
          {note.length > MAX_REASON_LENGTH || tried ? noteIssue : null}
        </p>
      </div>
      <button type="submit" className="button" disabled={busy}>
        {submitLabel}
      </button>
      <p className={outcome?.ok === false ? 'lift-outcome field-message' : 'lift-outcome'} role="status">
        {outcome?.text}
      </p>
    </form>
  );
}
