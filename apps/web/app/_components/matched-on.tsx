/** What a fallback pair (SPEC §9, no shared interest: `matched_interest` is null) shows where a tag would be. */
export const FALLBACK_MATCH_TEXT = 'Matched with someone new (no shared interests)';

/** "matched on music", or the fallback sentence, as plain text (labels for screen readers). */
export function matchedText(interest: string | null): string {
  return interest === null ? FALLBACK_MATCH_TEXT.toLowerCase() : `matched on ${interest}`;
}

/** "Matched on <tag>", or the fallback sentence; `lowercase` inside a sentence. */
export function MatchedOn({ interest, lowercase = false }: { interest: string | null; lowercase?: boolean }) {
  if (interest === null) {
    return (
      <span data-testid="matched-fallback">{lowercase ? FALLBACK_MATCH_TEXT.toLowerCase() : FALLBACK_MATCH_TEXT}</span>
    );
  }
  return (
    <>
      {lowercase ? 'matched' : 'Matched'} on <span className="tag">{interest}</span>
    </>
  );
}
