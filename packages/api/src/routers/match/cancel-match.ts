import { ZIdleState } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const cancelMatch = authedProcedure
  .meta({
    openapi: {
      method: 'DELETE',
      path: '/v1/portal/match',
      tags: ['match'],
      summary: 'Leave the queue',
      description: 'Idempotent: always `{ "state": "idle" }`. Active chats are not touched.',
    },
  })
  .input(ZNoInput)
  .output(ZIdleState)
  .mutation(async ({ ctx }) => {
    await ctx.core.matching.cancel(ctx.principal);
    return { state: 'idle' as const };
  });
