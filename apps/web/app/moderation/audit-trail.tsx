'use client';

import type { TAuditAction, TAuditEntry } from '@portal/contracts';
import { LocalTime } from '../_components/local-time.tsx';

const ACTION_TEXT: Record<TAuditAction, string> = {
  block: 'Blocked',
  unblock: 'Unblocked',
  suspend: 'Suspended',
  unsuspend: 'Lifted suspension',
  dismiss_report: 'Dismissed report',
  set_plan: 'Set plan',
  set_role: 'Set role',
  revoke_session: 'Revoked session',
};

const whoDid = (entry: TAuditEntry): string =>
  entry.actor === 'operator' ? 'Operator (command line)' : (entry.actor_username ?? 'A moderator');

/** Who did what to whom, newest first. Scrolls sideways on a phone instead of squeezing the ids. */
export function AuditTrail({ entries, titleId }: { entries: TAuditEntry[]; titleId: string }) {
  if (entries.length === 0) return <p className="muted">Nothing has been done yet.</p>;
  return (
    <div className="table-scroll" role="region" aria-labelledby={titleId} tabIndex={0}>
      <table className="audit" data-testid="audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>
                <LocalTime iso={entry.created_at} />
              </td>
              <td>{whoDid(entry)}</td>
              <td>{ACTION_TEXT[entry.action]}</td>
              <td>
                {entry.target_kind} <code>{entry.target_id}</code>
              </td>
              <td>{entry.reason ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
