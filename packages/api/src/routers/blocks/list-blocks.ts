import { ZBlockList } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const listBlocks = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/blocks',
      tags: ['blocks'],
      summary: 'My blocks',
      description: [
        'The blocks this person made (from a chat, or by reporting it), newest first. `label` is "Stranger" or',
        "the blocked person's username, as in the chat list; `matched_interest` is the interest of the chat it",
        'was made from.',
      ].join(' '),
    },
  })
  .input(ZNoInput)
  .output(ZBlockList)
  .query(({ ctx }) => ctx.core.blocks.list(ctx.principal));
