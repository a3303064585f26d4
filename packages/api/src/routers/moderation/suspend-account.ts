import { ZModerationResult, ZTargetWithReason } from '@portal/contracts';
import { moderatorProcedure } from '../../trpc.ts';

export const suspendAccount = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED', 'ERR_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/moderation/accounts/{id}/suspend',
      tags: ['moderation'],
      summary: 'Suspend an account',
      description:
        'Moderators only; `reason` 1–500 characters. Like a block, for every session of the account: searches end, active chats end for both sides, sockets close with `ERR_ACCOUNT_SUSPENDED`, and every later enqueue is 403 `ERR_ACCOUNT_SUSPENDED`. A moderator cannot suspend their own account or the account of another moderator (403 `ERR_FORBIDDEN`: only the operator command `pnpm portal suspend` can). Recorded in the audit trail.',
    },
  })
  .input(ZTargetWithReason.strict())
  .output(ZModerationResult)
  .mutation(({ ctx, input }) => ctx.core.moderation.suspendAccount(ctx.principal, input.id, input.reason));
