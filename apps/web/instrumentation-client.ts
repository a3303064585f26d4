import { z } from 'zod';

// Runs in the browser before the app's own code (Next.js loads it first). The pages'
// CSP has no 'unsafe-eval'; zod compiles faster parsers with `new Function` and probes
// for it once, and even that caught probe is reported as a CSP violation. In the
// browser validation runs without compiling (the server keeps its fast path).
z.config({ jitless: true });
