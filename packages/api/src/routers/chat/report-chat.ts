import { ZReportInput, ZReportReceipt } from '@portal/contracts';
import { authedProcedure } from '../../trpc.ts';

export const reportChat = authedProcedure
  .meta({
    errors: ['ERR_CHAT_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/chats/{token}/report',
      tags: ['chats'],
      summary: 'Report the partner',
      description: [
        '`reason`: 1–500 characters after trimming. Files a report on the partner for the moderators, with the',
        "chat's last 20 messages, and ends the chat for both (201). A chat that already ended can still be",
        'reported: an abuser who leaves at once stays reportable. Reporting the same chat again returns the first',
        'report (200).',
      ].join(' '),
    },
  })
  .input(ZReportInput.strict())
  .output(ZReportReceipt)
  .mutation(async ({ ctx, input }) => {
    const { receipt, created } = await ctx.core.moderation.report(ctx.principal, input.token, input.reason);
    ctx.setStatus(created ? 201 : 200);
    return receipt;
  });
