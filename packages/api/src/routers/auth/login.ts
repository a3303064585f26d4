import { AppError, ZLoginInput, ZSession } from '@portal/contracts';
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
        'told). Limited per client IP, and failed attempts per username (429 with `Retry-After`).',
      ].join(' '),
    },
  })
  .input(ZLoginInput.strict())
  .output(ZSession)
  .mutation(async ({ ctx, input }) => {
    await ctx.limiters.logins.take(ctx.clientIp);
    await ctx.limiters.loginFailures.check(input.username);
    const caller = await ctx.core.sessions.find(ctx.token);
    let signed;
    try {
      signed = await ctx.core.accounts.login(caller, input.username, input.password);
    } catch (error) {
      if (error instanceof AppError && error.code === 'ERR_INVALID_CREDENTIALS') {
        await ctx.limiters.loginFailures.penalize(input.username);
      }
      throw error;
    }
    await ctx.limiters.loginFailures.reset(input.username);
    ctx.setSessionToken(signed.token);
    return ctx.core.sessions.describe(await ctx.core.sessions.authenticate(signed.token));
  });
