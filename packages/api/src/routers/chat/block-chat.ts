import { ZBlockResult, ZChatTokenInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const blockChat = authedProcedure
  .meta({
    errors: ['ERR_CHAT_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/chats/{token}/block',
      tags: ['blocks'],
      summary: 'Block the partner',
      description: [
        'Ends the chat for both (as `/end`; the partner sees an ordinary end, never that they were blocked) and',
        'the two people are never paired again, in either direction, on any instance, until the blocker lifts it',
        '(`DELETE /v1/portal/blocks/{id}`). Works on a chat that already ended too. Idempotent.',
      ].join(' '),
    },
  })
  .input(ZChatTokenInput.strict())
  .output(ZBlockResult)
  .mutation(({ ctx, input }) => ctx.core.blocks.block(ctx.principal, input.token));
