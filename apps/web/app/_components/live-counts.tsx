'use client';

import { usePopularInterests } from '../../lib/popular.ts';

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

/** People waiting per chosen tag that is listed; null until the first answer (nothing is shown then). */
function useWaitingCounts(tags: readonly string[]): Map<string, number> | null {
  const popular = usePopularInterests();
  if (popular.status !== 'ready') return null;
  const counts = new Map<string, number>();
  for (const tag of tags) {
    const entry = popular.byTag(tag);
    if (entry) counts.set(tag, entry.waiting);
  }
  return counts;
}
