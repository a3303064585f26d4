import { ZChatList } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const listChats = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/chats',
      tags: ['chats'],
      summary: 'My active chats',
      description: 'Active (not ended, not expired) chats, soonest to expire first, with the slots used.',
    },
  })
  .input(ZNoInput)
  .output(ZChatList)
  .query(({ ctx }) => ctx.core.chats.list(ctx.principal));
