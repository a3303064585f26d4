import { ZSession } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const getSession = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/session',
      tags: ['session'],
      summary: 'The current session',
      description: 'Who the `psession` cookie belongs to, their plan and role, and how many chat slots they use.',
    },
  })
  .input(ZNoInput)
  .output(ZSession)
  .query(({ ctx }) => ctx.core.sessions.describe(ctx.principal));
