import { ZModerationResult, ZTargetWithReason } from '@portal/contracts';
import { moderatorProcedure } from '../../trpc.ts';

export const blockSession = moderatorProcedure
  .meta({
    errors: ['ERR_FORBIDDEN', 'ERR_ACCOUNT_SUSPENDED', 'ERR_NOT_FOUND'],
    openapi: {
      method: 'POST',
      path: '/v1/portal/moderation/sessions/{id}/block',
      tags: ['moderation'],
      summary: 'Block a stranger',
      description:
        "Moderators only; `reason` 1–500 characters. At once, on every instance: the stranger's search ends, their active chats end for both sides, their sockets close with `ERR_STRANGER_BLOCKED`, their open reports close, and every later enqueue is 403 `ERR_STRANGER_BLOCKED`. A session that belongs to an account is 400: suspend the account instead (403 `ERR_FORBIDDEN` for a moderator's session). Recorded in the audit trail.",
    },
  })
  .input(ZTargetWithReason.strict())
  .output(ZModerationResult)
  .mutation(({ ctx, input }) => ctx.core.moderation.blockSession(ctx.principal, input.id, input.reason));
