import { ZHealth } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { publicProcedure } from '../../trpc.ts';

export const getHealth = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/health',
      protect: false,
      tags: ['operations'],
      summary: 'Liveness and database reachability',
      description:
        '200 `{status:"ok", db:"ok"}`; 503 `{status:"degraded", db:"down"}` when the database does not answer within 2 s.',
    },
  })
  .input(ZNoInput)
  .output(ZHealth)
  .query(async ({ ctx }) => {
    const health = await ctx.core.health();
    if (health.db !== 'ok') ctx.setStatus(503);
    return health;
  });
