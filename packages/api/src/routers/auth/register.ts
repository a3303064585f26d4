import { ZCredentials, ZSession } from '@portal/contracts';
import { setSessionCookie } from '../../session-cookie.ts';
import { publicProcedure } from '../../trpc.ts';

export const register = publicProcedure
  .meta({
    errors: ['ERR_USERNAME_TAKEN', 'ERR_STRANGER_BLOCKED', 'ERR_ACCOUNT_SUSPENDED', 'ERR_RATE_LIMITED'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/auth/register',
      protect: false,
      tags: ['auth'],
      summary: 'Register an account',
      description: [
        '`username`: `^[a-z0-9_]{3,20}$`; `password`: 10–200 characters (stored as a scrypt hash).',
        'Answers 201 with the new registered session and sets a new `psession` cookie.',
        "Called with a stranger's cookie, that stranger becomes the account: their active chats and search stay",
        'theirs. Called while signed in to another account, that session is signed out first.',
        'A blocked stranger (403 `ERR_STRANGER_BLOCKED`) or a session of a suspended account (403',
        '`ERR_ACCOUNT_SUSPENDED`) cannot register. Limited per client IP.',
      ].join(' '),
    },
  })
  .input(ZCredentials.strict())
  .output(ZSession)
  .mutation(async ({ ctx, input }) => {
    await ctx.limiters.registrations.take(ctx.clientIp);
    const caller = await ctx.core.sessions.find(ctx.token);
    const signed = await ctx.core.accounts.register(caller, input.username, input.password, ctx.userAgent);
    const principal = await ctx.core.sessions.authenticate(signed.token);
    setSessionCookie(ctx, signed.token, principal);
    ctx.setStatus(201);
    return ctx.core.sessions.describe(principal);
  });
