'use client';

import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import { useEffect, useRef, useState } from 'react';
import 'swagger-ui-dist/swagger-ui.css';
import './swagger-view.css';

/**
 * Swagger UI's self-contained bundle (it brings its own React and ApiDOM): the
 * package built from sources breaks under Turbopack on OpenAPI 3.1 documents.
 */
export function SwaggerView() {
  const ref = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const container = ref.current;
    if (!container) return;
    // A node of its own per mount: Swagger UI keeps its React root, which is never handed a node twice.
    const domNode = document.createElement('div');
    container.append(domNode);
    SwaggerUI({
      domNode,
      url: '/v1/openapi.json',
      docExpansion: 'list',
      defaultModelsExpandDepth: 0,
      deepLinking: false,
      // No badge fetched from validator.swagger.io: everything on this page comes from us.
      validatorUrl: null,
      // Its highlighting themes colour some tokens below AA contrast; plain light-on-dark passes.
      syntaxHighlight: false,
      onComplete: () => setReady(true),
    });
    return () => domNode.remove();
  }, []);
  return (
    <>
      {!ready && (
        <p role="status" className="muted">
          Loading the API reference…
        </p>
      )}
      <div ref={ref} />
    </>
  );
}
