'use client';

import { createTRPCReact } from '@trpc/react-query';
import type { AppRouter } from '@portal/api';

/** The one way the UI talks to the server: typed procedures over /api/trpc, cached by React Query. */
export const trpc = createTRPCReact<AppRouter>();
