'use client';

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div className="missing" role="alert">
      <h1>Something went wrong</h1>
      <p>The page ran into a problem. Trying again usually helps.</p>
      <p>
        <button type="button" className="button button-primary" onClick={reset}>
          Try again
        </button>
      </p>
    </div>
  );
}
