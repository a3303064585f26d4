'use client';

import type { TParty, TReport } from '@portal/contracts';
import { useId } from 'react';
import { LocalTime } from '../_components/local-time.tsx';
import { MatchedOn } from '../_components/matched-on.tsx';

export type TReportAction = 'block' | 'suspend' | 'dismiss';

const nameOf = (party: TParty): string => party.username ?? 'a stranger';

/** One open report: why, who (with the ids a moderator acts on), the chat's last messages, and what to do. */
export function ReportCard({ report, onAction }: { report: TReport; onAction: (action: TReportAction) => void }) {
  const id = useId();
  const { reported, reporter } = report;
  const stranger = reported.account_id === null;
  return (
    <article className="report" aria-labelledby={`${id}-title`} data-testid="report">
      <h3 id={`${id}-title`} className="report-title">
        Report on {stranger ? 'a stranger' : reported.username}
      </h3>
      <p className="report-meta">
        Filed <LocalTime iso={report.created_at} /> by {nameOf(reporter)}
        {' · '}
        <MatchedOn interest={report.matched_interest} lowercase />
      </p>
      <p className="report-reason">
        <span className="report-label">Reason: </span>
        {report.reason}
      </p>

      <dl className="party">
        <div>
          <dt>Session</dt>
          <dd>
            <code data-testid="reported-session">{reported.session_id}</code>
          </dd>
        </div>
        <div>
          <dt>Account</dt>
          <dd>{reported.account_id ? <code>{reported.account_id}</code> : 'none (stranger)'}</dd>
        </div>
        <div>
          <dt>Username</dt>
          <dd>{reported.username ?? '—'}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{reported.restricted ? (stranger ? 'Blocked' : 'Suspended') : 'Not restricted'}</dd>
        </div>
      </dl>

      <details className="excerpt" open>
        <summary>
          Chat excerpt ({report.excerpt.length} {report.excerpt.length === 1 ? 'message' : 'messages'})
        </summary>
        {report.excerpt.length === 0 ? (
          <p className="muted">No messages were exchanged.</p>
        ) : (
          <ol className="excerpt-lines">
            {report.excerpt.map((line, index) => (
              <li key={index} className={`excerpt-line excerpt-${line.from}`}>
                <span className="excerpt-who">
                  {line.from === 'reported' ? `Reported (${nameOf(reported)})` : `Reporter (${nameOf(reporter)})`}
                </span>{' '}
                <LocalTime iso={line.created_at} show="time" className="excerpt-time" />
                <p className="excerpt-text">{line.text}</p>
              </li>
            ))}
          </ol>
        )}
      </details>

      <div className="report-actions">
        {!reported.restricted &&
          (stranger ? (
            <button type="button" className="button button-danger" onClick={() => onAction('block')}>
              Block stranger
            </button>
          ) : (
            <button type="button" className="button button-danger" onClick={() => onAction('suspend')}>
              Suspend account
            </button>
          ))}
        <button type="button" className="button" onClick={() => onAction('dismiss')}>
          Dismiss
        </button>
      </div>
    </article>
  );
}
