import { exportFileName, ZAccountExport } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { authedProcedure } from '../../trpc.ts';

export const exportAccount = authedProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/account/export',
      tags: ['account'],
      summary: 'Download my data',
      description: [
        'Everything Portal holds that is yours, as a JSON attachment',
        '(`Content-Disposition: attachment; filename="portal-export-<date>.json"`): the person (the account, or',
        'the stranger session), their sessions, their chats (token, partner label, matched interest, created and',
        "ended times) each with the messages you sent in it (never the partner's), and the blocks you made. Chats",
        'past message retention are already gone. tRPC callers get the same document.',
      ].join(' '),
    },
  })
  .input(ZNoInput)
  .output(ZAccountExport)
  .query(async ({ ctx }) => {
    const data = await ctx.core.accountData.export(ctx.principal);
    ctx.setHeader('content-disposition', `attachment; filename="${exportFileName(new Date(data.exported_at))}"`);
    return data;
  });
