import { z } from 'zod';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const logout = authedProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/v1/portal/auth/logout',
      tags: ['auth'],
      summary: 'Sign out',
      description:
        "Revokes this session on the server (204) and clears the cookie; the account's other sessions stay signed in. Its search ends and its sockets close. A stranger who signs out leaves their chats for good: those end.",
    },
  })
  .input(ZNoInput)
  .output(z.void())
  .mutation(async ({ ctx }) => {
    await ctx.core.accounts.logout(ctx.principal);
    ctx.setSessionToken(null);
    ctx.setStatus(204);
  });
