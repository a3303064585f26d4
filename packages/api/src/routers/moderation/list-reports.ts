import { ZReportList } from '@portal/contracts';
import { ZNoInput } from '../../inputs.ts';
import { moderatorProcedure } from '../../trpc.ts';

export const listReports = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED'],
    openapi: {
      method: 'GET',
      path: '/v1/portal/moderation/reports',
      tags: ['moderation'],
      summary: 'Open reports',
      description:
        "Moderators only. The oldest 100 open reports, each with the reason, the chat's last messages (`from`: reporter or reported) and both parties: `session_id`, `account_id` (null for a stranger), `username` and whether they are already blocked or suspended. Blocking or suspending the reported person closes their open reports; `dismiss` closes one.",
    },
  })
  .input(ZNoInput)
  .output(ZReportList)
  .query(({ ctx }) => ctx.core.moderation.openReports(ctx.principal));
