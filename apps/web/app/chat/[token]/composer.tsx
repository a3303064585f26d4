'use client';

import { checkMessageText, MAX_MESSAGE_LENGTH } from '@portal/contracts/browser';
import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

/** Show the character count once a message gets this long. */
const COUNT_FROM = MAX_MESSAGE_LENGTH - 200;

interface Props {
  disabled: boolean;
  /** Returns false when the message could not be handed over (it stays in the box). */
  onSend: (text: string) => boolean;
  onTyping: () => void;
}

export function Composer({ disabled, onSend, onTyping }: Props) {
  const id = useId();
  const [text, setText] = useState('');
  const [tried, setTried] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const check = checkMessageText(text);
  const issue = check.ok ? null : check.message;
  // Too long is worth saying at once; empty only after an attempt to send.
  const shownIssue = text.length > MAX_MESSAGE_LENGTH || tried ? issue : null;

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (disabled) return;
    if (!check.ok) {
      setTried(true);
      return;
    }
    if (onSend(check.value)) {
      setText('');
      setTried(false);
    }
    // After a click on Send, carry on typing without reaching for the box.
    inputRef.current?.focus();
  }

  function handleKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  }

  return (
    <form className="composer" onSubmit={submit} noValidate aria-label="Send a message">
      <label htmlFor={`${id}-text`} className="sr-only">
        Message
      </label>
      <textarea
        ref={inputRef}
        id={`${id}-text`}
        className="composer-input"
        rows={2}
        value={text}
        placeholder={disabled ? 'This chat has ended' : 'Write a message…'}
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value.trim() !== '') onTyping();
        }}
        onKeyDown={handleKeyDown}
        disabled={disabled}
        aria-invalid={shownIssue ? true : undefined}
        aria-describedby={`${id}-hint ${id}-issue`}
      />
      <div className="composer-row">
        <p id={`${id}-hint`} className="composer-hint">
          <span className="hint-keys">Enter sends, Shift+Enter adds a line.</span>{' '}
          {text.length >= COUNT_FROM && (
            <span className={text.length > MAX_MESSAGE_LENGTH ? 'count count-over' : 'count'}>
              {text.length}/{MAX_MESSAGE_LENGTH}
            </span>
          )}
        </p>
        <button type="submit" className="button button-primary" disabled={disabled}>
          Send
        </button>
      </div>
      <p id={`${id}-issue`} className="field-message" aria-live="polite" data-testid="composer-message">
        {shownIssue}
      </p>
    </form>
  );
}
