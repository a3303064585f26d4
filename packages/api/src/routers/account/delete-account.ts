import { z } from 'zod';
import { ZDeleteAccountInput } from '@portal/contracts';
import { ipKey } from '../../rate-limit.ts';
import { authedProcedure } from '../../trpc.ts';

export const deleteAccount = authedProcedure
  .meta({
    errors: ['ERR_INVALID_CREDENTIALS', 'ERR_RATE_LIMITED'],
    event: 'account_deleted',
    openapi: {
      method: 'DELETE',
      path: '/v1/portal/account',
      tags: ['account'],
      summary: 'Delete my account',
      description: [
        'Deletes you (204, cookie cleared). A registered person confirms with `{ "password" }` in a JSON body',
        '(a wrong one is 401 `ERR_INVALID_CREDENTIALS`, counted like a failed login; none is 400); a stranger',
        'sends `{}` or no body. Your search ends, your chats end (partners get `ended`), every session of yours is',
        'signed out and its sockets close (4401), the text of every message you sent is erased (your partners see',
        'each as removed: `"deleted": true`, `"text": ""`), the blocks you made go, and the account is gone: its',
        'username can be registered again. Reports about you keep their excerpts for moderators until report',
        'retention ends; blocks others made on you stay in their lists.',
      ].join(' '),
    },
  })
  .input(ZDeleteAccountInput.strict())
  .output(z.void())
  .mutation(async ({ ctx, input }) => {
    const { principal } = ctx;
    // Counted like a login attempt before the password is checked, so that deletion
    // is no side door for guessing a password.
    const attempt =
      principal.username && input.password !== undefined
        ? { username: principal.username, guesses: `${principal.username}|${ipKey(ctx.clientIp)}` }
        : null;
    if (attempt) {
      await ctx.limiters.loginFailures.take(attempt.guesses);
      await ctx.limiters.loginFailuresPerAccount.take(attempt.username);
    }
    await ctx.core.accountData.delete(principal, input.password);
    if (attempt) {
      // The name is free again: whoever registers it next starts with a clean count.
      await ctx.limiters.loginFailures.reset(attempt.guesses);
      await ctx.limiters.loginFailuresPerAccount.giveBack(attempt.username);
    }
    ctx.setSessionToken(null);
    ctx.setStatus(204);
  });
