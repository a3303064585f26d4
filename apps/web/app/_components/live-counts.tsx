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
              {counts.get(tag)} on <span className="tag">{tag}</span>
            </span>
          ))}
        </p>
      )}
      {rare.length > 0 && (
        <p className="muted">
          No live number for {rare.join(', ')}: a tag gets one once 3 people have searched it in the last hour, so rare
          interests stay private.
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
