'use client';

import type { TModerationResult, TReport } from '@portal/contracts';
import Link from 'next/link';
import { useRef, useState } from 'react';
import { appCodeOf, describeError, serverMessageOf } from '../../lib/errors.ts';
import { trpc } from '../../lib/trpc.ts';
import { ReasonDialog } from '../_components/reason-dialog.tsx';
import { AuditTrail } from './audit-trail.tsx';
import { LiftForm } from './lift-form.tsx';
import { ReportCard, type TReportAction } from './report-card.tsx';

const REFRESH_MS = 15_000;
const AUDIT_LIMIT = 50;

const chatsEnded = (result: TModerationResult): string =>
  result.chats_ended === 0 ? '' : ` ${result.chats_ended} active ${result.chats_ended === 1 ? 'chat' : 'chats'} ended.`;

/** The moderators' page: open reports and what to do about them, lifting restrictions, the audit trail. */
export function ModerationConsole() {
  const utils = trpc.useUtils();
  const reports = trpc.moderation.reports.useQuery(
    {},
    { refetchInterval: (query) => (query.state.status === 'error' ? false : REFRESH_MS) },
  );
  const audit = trpc.moderation.audit.useQuery({ limit: AUDIT_LIMIT }, { enabled: reports.isSuccess });
  const block = trpc.moderation.blockSession.useMutation();
  const suspend = trpc.moderation.suspendAccount.useMutation();
  const dismiss = trpc.moderation.dismissReport.useMutation();
  const unblock = trpc.moderation.unblockSession.useMutation();
  const unsuspend = trpc.moderation.unsuspendAccount.useMutation();
  const [pending, setPending] = useState<{ action: TReportAction; report: TReport } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const statusRef = useRef<HTMLParagraphElement>(null);
  const done = useRef(false);

  function refresh() {
    void utils.moderation.reports.invalidate();
    void utils.moderation.audit.invalidate();
  }

  async function act(action: TReportAction, report: TReport, reason: string | undefined) {
    const { reported } = report;
    if (action === 'block') {
      const result = await block.mutateAsync({ id: reported.session_id, reason: reason ?? '' });
      setAnnouncement(`Blocked the stranger with session ${result.target_id}.${chatsEnded(result)}`);
    } else if (action === 'suspend') {
      const result = await suspend.mutateAsync({ id: reported.account_id ?? '', reason: reason ?? '' });
      setAnnouncement(`Suspended ${reported.username ?? `account ${result.target_id}`}.${chatsEnded(result)}`);
    } else {
      await dismiss.mutateAsync(reason === undefined ? { id: report.id } : { id: report.id, reason });
      setAnnouncement('Dismissed the report.');
    }
    done.current = true;
    refresh();
  }

  if (reports.isPending) {
    return (
      <p role="status" className="muted">
        Loading reports…
      </p>
    );
  }
  if (reports.isError) {
    if (appCodeOf(reports.error) === 'ERR_FORBIDDEN') return <Refusal />;
    return (
      <div role="alert" className="callout callout-error">
        <p>Could not load the reports. {describeError(reports.error)}</p>
        <button type="button" className="button" onClick={() => void reports.refetch()}>
          Try again
        </button>
      </div>
    );
  }

  const open = reports.data.reports;
  return (
    <>
      <p ref={statusRef} className="mod-status" role="status" tabIndex={-1} data-testid="moderation-status">
        {announcement}
      </p>

      <section className="mod-section" aria-labelledby="reports-title">
        <div className="section-head">
          <h2 id="reports-title">Open reports ({open.length})</h2>
          <button type="button" className="button button-small" onClick={refresh} disabled={reports.isFetching}>
            Refresh
          </button>
        </div>
        {open.length === 0 ? (
          <p className="callout">No open reports. Reports people file from a chat appear here.</p>
        ) : (
          <ol className="report-list">
            {open.map((report) => (
              <li key={report.id}>
                <ReportCard report={report} onAction={(action) => setPending({ action, report })} />
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="mod-section" aria-labelledby="lift-title">
        <h2 id="lift-title">Lift a block or suspension</h2>
        <div className="lift-forms">
          <LiftForm
            title="Unblock a stranger"
            idLabel="Session id"
            submitLabel="Unblock"
            onLift={(id, reason) => unblock.mutateAsync(reason === undefined ? { id } : { id, reason })}
            describeDone={(result) => {
              refresh();
              return `Session ${result.target_id} is no longer blocked.`;
            }}
          />
          <LiftForm
            title="Lift an account suspension"
            idLabel="Account id"
            submitLabel="Unsuspend"
            onLift={(id, reason) => unsuspend.mutateAsync(reason === undefined ? { id } : { id, reason })}
            describeDone={(result) => {
              refresh();
              return `Account ${result.target_id} is no longer suspended.`;
            }}
          />
        </div>
      </section>

      <section className="mod-section" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit trail</h2>
        {audit.isPending ? (
          <p role="status" className="muted">
            Loading the audit trail…
          </p>
        ) : audit.isError ? (
          <div role="alert" className="callout callout-error">
            <p>Could not load the audit trail. {describeError(audit.error)}</p>
          </div>
        ) : (
          <AuditTrail entries={audit.data.entries} titleId="audit-title" />
        )}
      </section>

      {pending && (
        <ReasonDialog
          {...dialogCopy(pending.action, pending.report)}
          onConfirm={(reason) => act(pending.action, pending.report, reason)}
          onClose={() => {
            setPending(null);
            // The card that held the button is about to go: keep focus on the outcome instead.
            if (done.current) statusRef.current?.focus();
            done.current = false;
          }}
          describe={serverMessageOf}
        />
      )}
    </>
  );
}

function dialogCopy(action: TReportAction, report: TReport) {
  const { reported } = report;
  if (action === 'block') {
    return {
      title: 'Block this stranger',
      confirmLabel: 'Block stranger',
      optional: false,
      children: (
        <p>
          Session <code>{reported.session_id}</code>. Their search and active chats end at once, and they cannot look
          for partners again until unblocked.
        </p>
      ),
    };
  }
  if (action === 'suspend') {
    return {
      title: `Suspend ${reported.username ?? 'this account'}`,
      confirmLabel: 'Suspend account',
      optional: false,
      children: (
        <p>
          Account <code>{reported.account_id}</code>. Their search and active chats end at once, and the account cannot
          look for partners again until the suspension is lifted.
        </p>
      ),
    };
  }
  return {
    title: 'Dismiss this report',
    confirmLabel: 'Dismiss report',
    optional: true,
    children: <p>The report closes without action against anyone. A note goes to the audit trail.</p>,
  };
}

function Refusal() {
  const session = trpc.session.get.useQuery({});
  return (
    <div className="callout callout-error" data-testid="moderation-refused">
      <p>
        <strong>Only moderators can open this page.</strong>
      </p>
      {session.data?.kind === 'registered' ? (
        <p>Your account does not have the moderator role.</p>
      ) : (
        <p>
          If you have a moderator account, <Link href="/login?next=%2Fmoderation">log in</Link>.
        </p>
      )}
    </div>
  );
}
