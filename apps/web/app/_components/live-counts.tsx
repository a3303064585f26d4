'use client';

/**
 * How many people are searching now on each chosen tag, from the public
 * "what is happening now" numbers (SPEC §9, GET /v1/portal/interests/popular).
 * Those list only tags at least 3 different people searched in the last hour,
 * so a rare tag has no number: this says why instead of showing a zero that
 * would not be true.
 */
export function LiveCounts({ tags }: { tags: readonly string[] }) {
  const counts = useWaitingCounts(tags);
  if (counts === null) return null;
  const known = tags.filter((tag) => counts.has(tag));
  const rare = tags.filter((tag) => !counts.has(tag));
  return (
    <div className="live-counts" data-testid="live-counts">
      {known.length > 0 && (
        <p>
          Searching now:{' '}
          {known.map((tag, index) => (
            <span key={tag}>
              {index > 0 && ', '}
              <span className="tag">{tag}</span> {counts.get(tag)}
            </span>
          ))}
        </p>
      )}
      {rare.length > 0 && (
        <p className="muted">
          No live number for {rare.join(', ')}: numbers appear once at least 3 people have searched a tag in the last
          hour, so a rare interest never gives anyone away.
        </p>
      )}
    </div>
  );
}

/**
 * The seam for the popular-interests hook (lib/, issue 9 "popular"): people
 * waiting per tag, or null while there are no numbers (nothing is shown then).
 */
function useWaitingCounts(_tags: readonly string[]): Map<string, number> | null {
  return null;
}
