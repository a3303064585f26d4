/** Most calls in one tRPC batch (SPEC §11): the server refuses a larger batch whole, the web client never sends one. */
export const MAX_TRPC_BATCH = 10;
