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
      summary: 'Liveness, database reachability and the event bus',
      description: [
        '200 `{status:"ok", db:"ok", bus:"ok"}`. 503 with `status:"degraded"` when the database does not answer',
        'within 2 s (`db:"down"`), or while the event bus is reconnecting to PostgreSQL (`bus:"down"`: live events',
        'would not reach this instance). Both recover by themselves. 503 with `status:"draining"` from the moment',
        'the instance receives SIGTERM: it still answers for `SHUTDOWN_DRAIN_SECONDS` while the balancer takes it',
        'out, then closes (docs/operations.md).',
      ].join(' '),
    },
  })
  .input(ZNoInput)
  .output(ZHealth)
  .query(async ({ ctx }) => {
    const health = await ctx.core.health();
    if (health.status !== 'ok') ctx.setStatus(503);
    return health;
  });
