import { router } from '../../trpc.ts';
import { blockSession } from './block-session.ts';
import { dismissReport } from './dismiss-report.ts';
import { listAudit } from './list-audit.ts';
import { listReports } from './list-reports.ts';
import { suspendAccount } from './suspend-account.ts';
import { unblockSession } from './unblock-session.ts';
import { unsuspendAccount } from './unsuspend-account.ts';

export const moderationRouter = router({
  reports: listReports,
  dismissReport,
  blockSession,
  unblockSession,
  suspendAccount,
  unsuspendAccount,
  audit: listAudit,
});
