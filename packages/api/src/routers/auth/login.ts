import { ZLoginInput, ZSession } from '@portal/contracts';
import { publicProcedure } from '../../trpc.ts';

export const login = publicProcedure
  .meta({
    errors: ['ERR_INVALID_CREDENTIALS', 'ERR_RATE_LIMITED'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/auth/login',
      protect: false,
      tags: ['auth'],
      summary: 'Sign in',
      description: [
        'Answers 200 with a new registered session and sets a new `psession` cookie. An unknown username and a',
        'wrong password give the same 401 `ERR_INVALID_CREDENTIALS`, in the same time.',
        'The session the request came with is signed out; if it was a stranger, its chats end (their partners are',
        'told). Limited per client IP, and failed attempts per username and client IP (429 with `Retry-After`).',
      ].join(' '),
    },
  })
  .input(ZLoginInput.strict())
  .output(ZSession)
  .mutation(async ({ ctx, input }) => {
    await ctx.limiters.logins.take(ctx.clientIp);
    // Counted before the password is checked, so that a burst of parallel guesses
    // cannot all pass; a success gives the allowance back. Keyed on the username and
    // the address together: keyed on the username alone, anyone could lock anyone out.
    const guesses = `${input.username}|${ctx.clientIp}`;
    await ctx.limiters.loginFailures.take(guesses);
    const caller = await ctx.core.sessions.find(ctx.token);
    const signed = await ctx.core.accounts.login(caller, input.username, input.password);
    await ctx.limiters.loginFailures.reset(guesses);
    ctx.setSessionToken(signed.token);
    return ctx.core.sessions.describe(await ctx.core.sessions.authenticate(signed.token));
  });
