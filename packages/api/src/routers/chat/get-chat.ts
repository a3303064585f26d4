import { ZChatDetail, ZChatTokenInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const getChat = authedProcedure
  .meta({
    errors: ['ERR_CHAT_NOT_FOUND'],
    openapi: {
      method: 'GET',
      path: '/v1/portal/chats/{token}',
      tags: ['chats'],
      summary: 'Open a chat',
      description:
        'The chat and its latest 50 messages, oldest first (`has_more` when older ones exist). Ended and expired chats stay readable by their two participants; for anyone else the chat does not exist (404).',
    },
  })
  .input(ZChatTokenInput.strict())
  .output(ZChatDetail)
  .query(({ ctx, input }) => ctx.core.chats.open(ctx.principal, input.token));
