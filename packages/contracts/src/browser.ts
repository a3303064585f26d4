// What the web app's browser code imports at run time: everything here is free of zod
// (rules.ts says why). Types still come from the package root, which costs nothing at run time.
export * from './errors.ts';
export * from './etag.ts';
export * from './rules.ts';
export * from './transport.ts';
