import { ZMatchState } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const getMatchStatus = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/match/status',
      tags: ['match'],
      summary: 'Poll the search',
      description:
        '`searching` while a live queue entry exists; `matched` while the chat made by the latest enqueue is active (`expires_at` is then the chat expiry); otherwise `idle`.',
    },
  })
  .input(ZNoInput)
  .output(ZMatchState)
  .query(({ ctx }) => ctx.core.matching.status(ctx.principal));
