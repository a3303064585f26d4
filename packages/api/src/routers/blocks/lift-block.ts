import { z } from 'zod';
import { ZBlockIdInput } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const liftBlock = authedProcedure
  .meta({
    errors: ['ERR_NOT_FOUND', 'ERR_REPORT_OPEN'],
    openapi: {
      method: 'DELETE',
      path: '/v1/portal/blocks/{id}',
      tags: ['blocks'],
      summary: 'Lift a block',
      description: [
        'Lifts one of your own blocks (204): the two people can be paired again once the repeat cooldown has',
        "passed. Anyone else's block, or an id that names no block (malformed ones included), is 404",
        '`ERR_NOT_FOUND`. While a report you filed on that person is open, the block stays: 409 `ERR_REPORT_OPEN`.',
      ].join(' '),
    },
  })
  .input(ZBlockIdInput.strict())
  .output(z.void())
  .mutation(async ({ ctx, input }) => {
    await ctx.core.blocks.lift(ctx.principal, input.id);
    ctx.setStatus(204);
  });
