import { ZLoginInput, ZSession } from '@portal/contracts';
import { ipKey } from '../../rate-limit.ts';
import { setSessionCookie } from '../../session-cookie.ts';
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
        'told). Limited per client IP (IPv6 by its /64), failed attempts per username and client IP, and failed',
        'attempts per username over every address (429 with `Retry-After`; past that last limit the account cannot',
        'sign in from anywhere until the hour is over).',
      ].join(' '),
    },
  })
  .input(ZLoginInput.strict())
  .output(ZSession)
  .mutation(async ({ ctx, input }) => {
    await ctx.limiters.logins.take(ctx.clientIp);
    // Counted before the password is checked, so that a burst of parallel guesses
    // cannot all pass. Keyed on the username and the address together, so that one
    // address cannot lock anyone out; and on the username alone with a far higher
    // ceiling, so that guesses spread over many addresses still run out.
    const guesses = `${input.username}|${ipKey(ctx.clientIp)}`;
    await ctx.limiters.loginFailures.take(guesses);
    await ctx.limiters.loginFailuresPerAccount.take(input.username);
    const caller = await ctx.core.sessions.find(ctx.token);
    const signed = await ctx.core.accounts.login(caller, input.username, input.password, ctx.userAgent);
    // A success gives back this address's allowance, but only its own attempt of the
    // account's: the owner signing in must not wipe a count of someone else's guesses.
    await ctx.limiters.loginFailures.reset(guesses);
    await ctx.limiters.loginFailuresPerAccount.giveBack(input.username);
    const principal = await ctx.core.sessions.authenticate(signed.token);
    setSessionCookie(ctx, signed.token, principal);
    return ctx.core.sessions.describe(principal);
  });
