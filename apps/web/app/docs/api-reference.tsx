'use client';

import dynamic from 'next/dynamic';

/** Browser-only and large: loaded on this page alone, from our own build. */
const SwaggerView = dynamic(() => import('./swagger-view.tsx').then((module) => module.SwaggerView), {
  ssr: false,
  loading: () => (
    <p role="status" className="muted">
      Loading the API reference…
    </p>
  ),
});

export function ApiReference() {
  return (
    <section className="docs-surface" aria-label="OpenAPI reference">
      <SwaggerView />
    </section>
  );
}
