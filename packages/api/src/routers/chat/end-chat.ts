import { ZChatSummary, ZChatTokenInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const endChat = authedProcedure
  .meta({
    errors: ['ERR_CHAT_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/chats/{token}/end',
      tags: ['chats'],
      summary: 'End a chat',
      description:
        'Ends the chat for both people and frees a slot for both; the partner is told on the socket. Idempotent: ending an ended or expired chat returns it as it is.',
    },
  })
  .input(ZChatTokenInput.strict())
  .output(ZChatSummary)
  .mutation(({ ctx, input }) => ctx.core.chats.end(ctx.principal, input.token));
