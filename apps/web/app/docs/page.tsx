import type { Metadata } from 'next';
import 'swagger-ui-dist/swagger-ui.css';
import { ApiReference } from './api-reference.tsx';

export const metadata: Metadata = { title: 'API docs' };

export default function DocsPage() {
  return (
    <div className="docs">
      <h1>API reference</h1>
      <p className="lede">
        Every REST endpoint under <code>/v1/portal</code>, rendered from the live OpenAPI document at{' '}
        <a href="/v1/openapi.json">/v1/openapi.json</a>. Requests authenticate with the <code>psession</code> cookie
        that <code>POST /v1/portal/session</code> sets; errors are <code>{'{"error", "message"}'}</code>.
      </p>
      <ApiReference />
    </div>
  );
}
