import { MAX_STATUS_WAIT_SECONDS, ZMatchState, ZStatusInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const getMatchStatus = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/match/status',
      tags: ['match'],
      summary: 'Poll the search',
      description: [
        '`searching` while a live queue entry exists; `matched` while the chat made by the latest enqueue is active',
        '(`expires_at` is then the chat expiry); otherwise `idle`.',
        "Cheap polling: every answer carries the state's `ETag`. Send it back as `If-None-Match` and the answer is",
        `304 without a body while the state is still that one. With \`?wait=N\` (1–${MAX_STATUS_WAIT_SECONDS} seconds)`,
        'as well, the request is held until the state changes (200 with the new state and its ETag, within 100 ms',
        'of the change, whichever instance made it: a match, a cancel from another tab, the queue deadline, a block',
        'or the end of the chat) or until N seconds pass (304). `wait` without `If-None-Match`, or with a tag that',
        'is not current, answers at once: the client does not have the current state yet. A session signed out or',
        'deleted while its request is held gets 401. A held request counts once against the rate limit. When the',
        'server shuts down, held requests answer 304 at once: ask again. A proxy in front needs a timeout above the',
        'longest wait.',
      ].join(' '),
    },
  })
  .input(ZStatusInput)
  .output(ZMatchState)
  .query(async ({ ctx, input }) => {
    const seen = await ctx.core.matching.watch(ctx.principal, {
      ifNoneMatch: ctx.ifNoneMatch,
      waitMs: (input.wait ?? 0) * 1000,
      signal: ctx.clientGone,
    });
    ctx.setHeader('etag', seen.etag);
    if (seen.notModified) ctx.setStatus(304);
    return seen.state;
  });
