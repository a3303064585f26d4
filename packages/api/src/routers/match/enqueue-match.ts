import { ZEnqueueInput, ZMatchState } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const enqueueMatch = authedProcedure
  .meta({
    restricted: true,
    errors: [
      'ERR_STRANGER_BLOCKED',
      'ERR_ACCOUNT_SUSPENDED',
      'ERR_MATCH_UNSUPPORTED_INTEREST',
      'ERR_MATCH_ALREADY_SEARCHING',
      'ERR_MATCH_SLOT_LIMIT',
      'ERR_RATE_LIMITED',
    ],
    openapi: {
      method: 'POST',
      path: '/v1/portal/match',
      tags: ['match'],
      summary: 'Join the matchmaking queue',
      description: [
        'Queues the caller on 1–3 interest tags (`^[a-z0-9]{3,12}$`; repeats count once). If a compatible person is',
        'already waiting on any shared tag, the longest-waiting one becomes the partner at once and the answer is',
        '`matched` with the chat token; otherwise `searching` with `expires_at`, the queue deadline.',
        'Re-posting the same set while searching refreshes the deadline (and looks for a partner again).',
        '`fallback: true` agrees to be paired with anyone after `MATCH_FALLBACK_SECONDS` (15 by default) without a',
        'shared-tag partner: the searching state then carries `fallback: true` and `fallback_at`, when the entry opens',
        '(counted from when the search began; a refresh keeps it). Two open entries are paired by the server, oldest',
        'first, within 2 s, with no request from either person: the match is pushed on the socket (`matched`) and',
        'answers a held `GET /match/status`. Its state has `fallback: true`, `common_interests: []` and no',
        '`matched_interest`. Re-posting the same tags with another `fallback` value changes it (a refresh, not a 409).',
        'A search whose page had a socket leaves the queue `MATCH_PRESENCE_GRACE_SECONDS` (10) after its last socket',
        'closed, unless a socket opens again, it enqueues again or reads its status; a client that never opens a',
        'socket keeps only the queue deadline.',
        "`matched_interest` is the first of the caller's tags that the partner shares; `common_interests` lists",
        "every shared tag in the caller's order.",
        'Checks, in order: 401 no session, 403 blocked or suspended, 400 invalid tags, 409 already searching with',
        'other tags, 409 active-chat limit (free 1, premium 3).',
      ].join(' '),
    },
  })
  .input(ZEnqueueInput.strict())
  .output(ZMatchState)
  .mutation(async ({ ctx, input }) => {
    await ctx.limiters.enqueues.take(ctx.principal.sessionId);
    await ctx.limiters.enqueuesPerIp.take(ctx.clientIp);
    return ctx.core.matching.enqueue(ctx.principal, input.interests, { fallback: input.fallback });
  });
