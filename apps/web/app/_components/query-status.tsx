'use client';

import { describeError } from '../../lib/errors.ts';

interface Props {
  /** A React Query result: what it says while pending or failed. */
  query: { isPending: boolean; isError: boolean; error: unknown; refetch: () => unknown };
  /** "your blocks", "your sessions": the thing being loaded. */
  what: string;
}

/**
 * The loading line or the error with "Try again" every list shows before its data,
 * or null once the data is there.
 */
export function QueryStatus({ query, what }: Props) {
  if (query.isPending) {
    return (
      <p role="status" className="muted">
        Loading {what}…
      </p>
    );
  }
  if (query.isError) {
    return (
      <div role="alert" className="callout callout-error">
        <p>
          Could not load {what}. {describeError(query.error)}
        </p>
        <button type="button" className="button" onClick={() => void query.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  return null;
}
