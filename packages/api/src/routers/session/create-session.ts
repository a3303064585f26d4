import { ZSession } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { setSessionCookie } from '../../session-cookie.ts';
import { publicProcedure } from '../../trpc.ts';

export const createSession = publicProcedure
  .meta({
    errors: ['ERR_RATE_LIMITED'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/session',
      protect: false,
      tags: ['session'],
      summary: 'Start a stranger session',
      description:
        'Creates a stranger session and sets the `psession` cookie (201). With a valid cookie already present, returns that session unchanged (200).',
    },
  })
  .input(ZNoInput)
  .output(ZSession)
  .mutation(async ({ ctx }) => {
    const existing = await ctx.core.sessions.find(ctx.token);
    if (existing) {
      if (existing.renewed && ctx.token) setSessionCookie(ctx, ctx.token, existing);
      return ctx.core.sessions.describe(existing);
    }
    await ctx.limiters.sessions.take(ctx.clientIp);
    const { principal, token } = await ctx.core.sessions.create(ctx.userAgent);
    setSessionCookie(ctx, token, principal);
    ctx.setStatus(201);
    return ctx.core.sessions.describe(principal);
  });
