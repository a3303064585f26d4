import { z } from 'zod';
import { ZPasswordChange } from '@portal/contracts';
import { ipKey } from '../../rate-limit.ts';
import { registeredProcedure } from '../../trpc.ts';

export const changePassword = registeredProcedure
  .meta({
    errors: ['ERR_INVALID_CREDENTIALS', 'ERR_FORBIDDEN', 'ERR_RATE_LIMITED'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/auth/password',
      tags: ['auth'],
      summary: 'Change my password',
      description: [
        '`new_password`: 10–200 characters, as at registration. Answers 204; every other session of the account',
        'is signed out (their sockets close with 4401), this one stays. A wrong `current_password` is 401',
        '`ERR_INVALID_CREDENTIALS` and counts as a failed login (the login limits apply: 429 with `Retry-After`);',
        'a stranger has no password: 403 `ERR_FORBIDDEN`.',
      ].join(' '),
    },
  })
  .input(ZPasswordChange.strict())
  .output(z.void())
  .mutation(async ({ ctx, input }) => {
    // registeredProcedure guarantees a username. Counted like a login attempt, before
    // the check: a stolen cookie must not become an unlimited password oracle.
    const username = ctx.principal.username ?? '';
    const guesses = `${username}|${ipKey(ctx.clientIp)}`;
    await ctx.limiters.logins.take(ctx.clientIp);
    await ctx.limiters.loginFailures.take(guesses);
    await ctx.limiters.loginFailuresPerAccount.take(username);
    await ctx.core.passwords.change(ctx.principal, input.current_password, input.new_password);
    await ctx.limiters.loginFailures.reset(guesses);
    await ctx.limiters.loginFailuresPerAccount.giveBack(username);
    ctx.setStatus(204);
  });
