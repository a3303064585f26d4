import type { Metadata } from 'next';
import { Fragment, type ReactNode } from 'react';
import { ApiExplorer } from './api-explorer.tsx';
import { apiReference, type ReferenceOperation } from './reference.ts';

export const metadata: Metadata = {
  title: 'API docs',
  description: 'The Portal REST API: every operation under /v1/portal, its parameters, bodies and answers.',
};

/** Markdown's `code` spans, the only inline markup the document's descriptions use. */
function Inline({ text }: { text: string }) {
  return text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** Descriptions: blank-line paragraphs of `Inline` text. */
function Prose({ text }: { text: string }) {
  return text
    .split(/\n{2,}/)
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph, index) => (
      <p key={index}>
        <Inline text={paragraph} />
      </p>
    ));
}

/** An operation's parameters or responses: a captioned table with a header row. */
function OperationTable({ caption, columns, children }: { caption: string; columns: string[]; children: ReactNode }) {
  return (
    <table className="operation-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

function Operation({ operation }: { operation: ReferenceOperation }) {
  return (
    <details className="operation" id={operation.id}>
      <summary>
        <span className={`method method-${operation.method.toLowerCase()}`}>{operation.method}</span>{' '}
        <code className="operation-path">{operation.path}</code>{' '}
        <span className="operation-summary">{operation.summary}</span>
      </summary>
      <div className="operation-body">
        <Prose text={operation.description} />
        <p className="muted">{operation.session ? 'Needs the psession cookie.' : 'Public: no session needed.'}</p>
        {operation.parameters.length > 0 && (
          <OperationTable caption="Parameters" columns={['Name', 'In', 'Type', 'Description']}>
            {operation.parameters.map((parameter) => (
              <tr key={`${parameter.in} ${parameter.name}`}>
                <td>
                  <code>{parameter.name}</code>
                  {parameter.required && <span className="muted"> (required)</span>}
                </td>
                <td>{parameter.in}</td>
                <td>
                  <code>{parameter.type}</code>
                </td>
                <td>{parameter.description}</td>
              </tr>
            ))}
          </OperationTable>
        )}
        {operation.body && (
          <p>
            Request body{operation.body.required ? '' : ' (optional)'}: <code>{operation.body.type}</code>
          </p>
        )}
        <OperationTable caption="Responses" columns={['Status', 'Body', 'Description']}>
          {operation.responses.map((response) => (
            <tr key={response.status}>
              <td>{response.status}</td>
              <td>{response.type ? <code>{response.type}</code> : <span className="muted">none</span>}</td>
              <td>
                <Inline text={response.description} />
              </td>
            </tr>
          ))}
        </OperationTable>
      </div>
    </details>
  );
}

/**
 * A static reference rendered on the server from the OpenAPI document itself (the
 * one /v1/openapi.json serves): it reads at once on any device. Swagger UI, a few
 * megabytes of script, loads only when someone asks to try a request.
 */
export default function DocsPage() {
  const reference = apiReference();
  return (
    <div className="docs">
      <h1>API reference</h1>
      <p className="lede">
        Every REST endpoint under <code>/v1/portal</code>, rendered from the live OpenAPI document at{' '}
        <a href="/v1/openapi.json">/v1/openapi.json</a>. Requests authenticate with the <code>psession</code> cookie
        that <code>POST /v1/portal/session</code> sets; errors are <code>{'{"error", "message"}'}</code>.
      </p>
      <ApiExplorer>
        <section className="reference" aria-labelledby="reference-title">
          <h2 id="reference-title">
            {reference.title} <span className="muted">{reference.version}</span>
          </h2>
          <Prose text={reference.description} />
          <nav aria-label="Operations by tag">
            <ul className="reference-tags">
              {reference.tags.map((tag) => (
                <li key={tag.name}>
                  <a href={`#tag-${tag.name}`}>{tag.name}</a>
                </li>
              ))}
            </ul>
          </nav>
          {reference.tags.map((tag) => (
            <Fragment key={tag.name}>
              <h3 id={`tag-${tag.name}`} className="reference-tag">
                {tag.name}
              </h3>
              {tag.description && <Prose text={tag.description} />}
              {tag.operations.map((operation) => (
                <Operation key={operation.id} operation={operation} />
              ))}
            </Fragment>
          ))}
          <h3 className="reference-tag">Schemas</h3>
          <p>
            Named in the document under <code>components.schemas</code>:{' '}
            {reference.schemas.map((name, index) => (
              <Fragment key={name}>
                {index > 0 && ', '}
                <code>{name}</code>
              </Fragment>
            ))}
            .
          </p>
        </section>
      </ApiExplorer>
    </div>
  );
}
