import { z } from 'zod';
import { ZSessionIdInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const revokeSession = authedProcedure
  .meta({
    errors: ['ERR_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/auth/sessions/{id}/revoke',
      tags: ['auth'],
      summary: 'Sign out one session',
      description: [
        'Signs out one live session of yours (204), on every instance: its search ends and its sockets close with',
        "4401. Revoking this request's own session is a logout (the cookie is cleared; a stranger's chats end).",
        'A session that is not yours, already revoked or expired, or an id that names none (malformed ones',
        'included), is 404 `ERR_NOT_FOUND`.',
      ].join(' '),
    },
  })
  .input(ZSessionIdInput.strict())
  .output(z.void())
  .mutation(async ({ ctx, input }) => {
    const { current } = await ctx.core.sessions.revoke(ctx.principal, input.id);
    if (current) ctx.setSessionToken(null);
    ctx.setStatus(204);
  });
