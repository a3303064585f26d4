import { z } from 'zod';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const revokeOtherSessions = authedProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/v1/portal/auth/sessions/revoke-others',
      tags: ['auth'],
      summary: 'Sign out everywhere else',
      description: [
        'Signs out every other session of the account (204), on every instance: their searches end and their',
        'sockets close with 4401. This session stays. For a stranger, who has only this session, it changes nothing.',
      ].join(' '),
    },
  })
  .input(ZNoInput)
  .output(z.void())
  .mutation(async ({ ctx }) => {
    await ctx.core.sessions.revokeOthers(ctx.principal);
    ctx.setStatus(204);
  });
