'use client';

import type { TPopularInterest } from '@portal/contracts';
import { checkInterest, MAX_INTERESTS } from '@portal/contracts/browser';
import { useId, useState, type ChangeEvent, type KeyboardEvent, type RefObject } from 'react';
import { describeWait, usePopularInterests } from '../../lib/popular.ts';

/** Shown when nothing is popular right now (no tag searched by three people in the last hour), or the list failed. */
export const SUGGESTED_INTERESTS = ['music', 'gaming', 'movies', 'books', 'travel', 'coding'] as const;

/** What a person types becomes a tag: surrounding spaces and capitals are not worth an error. */
const normalize = (value: string): string => value.trim().toLowerCase();

function issueOf(value: string): string | null {
  const result = checkInterest(value);
  return result.ok ? null : result.message;
}

interface Props {
  tags: string[];
  onChange: (tags: string[]) => void;
  draft: string;
  onDraftChange: (draft: string) => void;
  /** Enter on an empty input: the person is done picking. */
  onSubmitRequest: () => void;
  /** A message from outside (e.g. "Pick one to three interests.") shown in the same live region. */
  message: string | null;
  inputRef: RefObject<HTMLInputElement | null>;
  disabled?: boolean;
}

/** Chips for 1–3 interests, checked live with the shared rule (`checkInterest`). */
export function InterestPicker({
  tags,
  onChange,
  draft,
  onDraftChange,
  onSubmitRequest,
  message,
  inputRef,
  disabled,
}: Props) {
  const id = useId();
  const popular = usePopularInterests();
  const [limitNote, setLimitNote] = useState<string | null>(null);
  const draftIssue = normalize(draft) === '' ? null : issueOf(normalize(draft));
  const shown = draftIssue ?? limitNote ?? message;

  function add(raw: string): boolean {
    const tag = normalize(raw);
    if (tag === '') return true;
    if (issueOf(tag)) return false;
    if (tags.includes(tag)) return true;
    if (tags.length >= MAX_INTERESTS) {
      setLimitNote(`You can pick up to ${MAX_INTERESTS} interests. Remove one to add another.`);
      return false;
    }
    setLimitNote(null);
    onChange([...tags, tag]);
    return true;
  }

  function remove(tag: string) {
    setLimitNote(null);
    onChange(tags.filter((t) => t !== tag));
    inputRef.current?.focus();
  }

  function handleChange(event: ChangeEvent<HTMLInputElement>) {
    const value = event.target.value;
    if (!value.includes(',')) {
      onDraftChange(value);
      return;
    }
    // Typed or pasted commas: every complete part becomes a chip; what does not fit stays in the input.
    const parts = value.split(',');
    const rest = parts.pop() ?? '';
    const next = [...tags];
    const kept: string[] = [];
    for (const part of parts) {
      const tag = normalize(part);
      if (tag === '' || next.includes(tag)) continue;
      if (issueOf(tag) || next.length >= MAX_INTERESTS) kept.push(part.trim());
      else next.push(tag);
    }
    if (next.length !== tags.length) onChange(next);
    if (kept.length > 0 && next.length >= MAX_INTERESTS) {
      setLimitNote(`You can pick up to ${MAX_INTERESTS} interests. Remove one to add another.`);
    }
    onDraftChange([...kept, rest.trimStart()].join(', '));
  }

  function handleKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.nativeEvent.isComposing) return;
    if (event.key === 'Enter') {
      event.preventDefault();
      if (normalize(draft) === '') onSubmitRequest();
      else if (add(draft)) onDraftChange('');
    } else if (event.key === 'Backspace' && draft === '' && tags.length > 0) {
      setLimitNote(null);
      onChange(tags.slice(0, -1));
    }
  }

  // Live tags replace the fixed list as soon as one qualifies; nothing shows before the first answer (no flicker).
  const live = popular.interests.length > 0;
  const popularNow = popular.interests.filter((entry) => !tags.includes(entry.tag));
  const suggestions =
    popular.status === 'pending' || live ? [] : SUGGESTED_INTERESTS.filter((tag) => !tags.includes(tag));

  return (
    <div className="picker">
      <label htmlFor={`${id}-input`} className="field-label">
        Add an interest
      </label>
      <div className={`chip-input${draftIssue ? ' is-invalid' : ''}`}>
        {tags.length > 0 && (
          <ul className="chips" aria-label="Your interests">
            {tags.map((tag) => (
              <li key={tag} className="chip">
                <span>{tag}</span>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove ${tag}`}
                  onClick={() => remove(tag)}
                  disabled={disabled}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <input
          ref={inputRef}
          id={`${id}-input`}
          type="text"
          inputMode="text"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          enterKeyHint="done"
          maxLength={64}
          placeholder={tags.length === 0 ? 'e.g. music' : ''}
          value={draft}
          onChange={handleChange}
          onKeyDown={handleKeyDown}
          aria-invalid={draftIssue ? true : undefined}
          aria-describedby={`${id}-help ${id}-message`}
          disabled={disabled}
        />
      </div>
      <p id={`${id}-help`} className="field-help">
        One to {MAX_INTERESTS} interests, each 3–12 lowercase letters or digits. Press Enter or comma to add.
      </p>
      <p id={`${id}-message`} className="field-message" aria-live="polite" data-testid="interest-message">
        {shown}
      </p>
      {popularNow.length > 0 && (
        <div className="popular" data-testid="popular-now">
          <h2 id={`${id}-popular`} className="popular-title">
            Popular now
          </h2>
          <ul className="chips" aria-labelledby={`${id}-popular`}>
            {popularNow.map((entry) => (
              <li key={entry.tag}>
                <PopularChip entry={entry} onAdd={() => add(entry.tag)} disabled={disabled} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {suggestions.length > 0 && (
        <div className="popular">
          <h2 id={`${id}-suggested`} className="popular-title">
            Suggestions
          </h2>
          <ul className="chips" aria-labelledby={`${id}-suggested`}>
            {suggestions.map((tag) => (
              <li key={tag}>
                <button
                  type="button"
                  className="chip chip-suggest"
                  aria-label={`Add ${tag}`}
                  onClick={() => add(tag)}
                  disabled={disabled}
                >
                  <span aria-hidden="true">+ </span>
                  {tag}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/**
 * One live tag: its name, how many wait on it now, the usual wait, and "Instant match"
 * when someone is waiting (a search on it is likely paired at once). The button's name
 * is its text, with the abbreviated wait ("~12s") spelled out for screen readers:
 * "Add gaming, 3 waiting, usual wait about 12 seconds, Instant match".
 */
function PopularChip({ entry, onAdd, disabled }: { entry: TPopularInterest; onAdd: () => void; disabled?: boolean }) {
  const wait = entry.median_wait_seconds === null ? null : describeWait(entry.median_wait_seconds);
  const instant = entry.waiting > 0;
  return (
    <button
      type="button"
      className={`chip chip-suggest chip-popular${instant ? ' is-instant' : ''}`}
      onClick={onAdd}
      disabled={disabled}
    >
      <span aria-hidden="true">+ </span>
      {/* One inline run: as flex items the parts would be blocks, and the name would gain stray spaces. */}
      <span>
        <span className="sr-only">Add </span>
        {entry.tag}
        <span className="chip-meta">
          <span className="sr-only">, </span>
          {entry.waiting} waiting
        </span>
        {wait && (
          <span className="chip-meta">
            <span aria-hidden="true">{wait.short}</span>
            <span className="sr-only">, usual wait {wait.spoken}</span>
          </span>
        )}
        {instant && (
          <span className="chip-instant">
            <span className="sr-only">, </span>
            Instant match
          </span>
        )}
      </span>
    </button>
  );
}
