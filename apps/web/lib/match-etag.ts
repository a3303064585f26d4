import type { TMatchState } from '@portal/contracts';

/**
 * PROVISIONAL until the server's ETag helper (issue 9 "poll") is merged: the
 * ETag of a state, as GET /match/status sends it, so a held request can send
 * it back as If-None-Match.
 */
export function matchStateEtag(state: TMatchState): string {
  return `"${JSON.stringify(state)}"`;
}
