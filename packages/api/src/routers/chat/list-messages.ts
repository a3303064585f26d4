import { ZMessagePage, ZPageInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const listMessages = authedProcedure
  .meta({
    errors: ['ERR_CHAT_NOT_FOUND'],
    openapi: {
      method: 'GET',
      path: '/v1/portal/chats/{token}/messages',
      tags: ['chats'],
      summary: 'Page back through messages',
      description:
        '`before`: a message id; returns up to `limit` (1–100, default 50) messages older than it, oldest first.',
    },
  })
  .input(ZPageInput.strict())
  .output(ZMessagePage)
  .query(({ ctx, input }) => ctx.core.chats.page(ctx.principal, input.token, input.before, input.limit));
