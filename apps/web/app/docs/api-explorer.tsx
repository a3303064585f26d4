'use client';

import dynamic from 'next/dynamic';
import { useState, type ReactNode } from 'react';

/** Swagger UI, its script and its stylesheet: fetched only once someone opens the explorer. */
const SwaggerView = dynamic(() => import('./swagger-view.tsx').then((module) => module.SwaggerView), {
  ssr: false,
  loading: () => (
    <p role="status" className="muted">
      Loading the interactive explorer…
    </p>
  ),
});

/** The static reference (children) until asked for the explorer, which then takes its place. */
export function ApiExplorer({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <p className="docs-mode">
        <button type="button" className="button" onClick={() => setOpen((value) => !value)}>
          {open ? 'Back to the plain reference' : 'Try it out in the interactive explorer'}
        </button>
      </p>
      {open ? (
        <section className="docs-surface" aria-label="Interactive OpenAPI explorer">
          <SwaggerView />
        </section>
      ) : (
        children
      )}
    </>
  );
}
