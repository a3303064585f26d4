'use client';

import type { Ref } from 'react';

interface Props {
  /** The input's id; its help and issue lines take `-help` and `-issue` after it. */
  id: string;
  label: string;
  name: string;
  autoComplete: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  /** Shown as text while the form's "Show password" box is ticked. */
  show: boolean;
  /** The problem to show now (live region), or null. */
  issue: string | null;
  help?: string;
  inputRef?: Ref<HTMLInputElement>;
  issueTestId?: string;
}

/** A labelled password input with its help and its live issue line (login, register, password change). */
export function PasswordField({ id, label, help, issue, show, inputRef, issueTestId, onChange, ...input }: Props) {
  return (
    <>
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      <input
        {...input}
        ref={inputRef}
        id={id}
        className="text-input"
        type={show ? 'text' : 'password'}
        autoCapitalize="none"
        autoCorrect="off"
        spellCheck={false}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={issue ? true : undefined}
        aria-describedby={`${help ? `${id}-help ` : ''}${id}-issue`}
      />
      {help && (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      )}
      <p id={`${id}-issue`} className="field-message" aria-live="polite" data-testid={issueTestId}>
        {issue}
      </p>
    </>
  );
}
