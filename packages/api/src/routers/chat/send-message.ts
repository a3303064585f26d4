import { ZMessage, ZPostMessageInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const sendMessage = authedProcedure
  .meta({
    errors: ['ERR_CHAT_NOT_FOUND', 'ERR_CHAT_ENDED', 'ERR_RATE_LIMITED'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/chats/{token}/messages',
      tags: ['chats'],
      summary: 'Send a message',
      description:
        '`text`: 1–2000 characters after trimming, stored and returned as plain text. The partner receives it on the socket at once. 409 when the chat has ended or expired. `client_id` (optional, 1–64 of `A-Za-z0-9_-`) makes the send idempotent: the same id again returns the stored message instead of storing a second one.',
    },
  })
  .input(ZPostMessageInput.strict())
  .output(ZMessage)
  .mutation(async ({ ctx, input }) => {
    await ctx.limiters.messages.take(ctx.principal.sessionId);
    await ctx.limiters.messagesPerIp.take(ctx.clientIp);
    const message = await ctx.core.chats.send(ctx.principal, input.token, input.text, input.client_id);
    ctx.setStatus(201);
    return message;
  });
