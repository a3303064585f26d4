/** Most calls in one tRPC batch (SPEC §11): the server refuses a larger batch whole, the web client never sends one. */
export const MAX_TRPC_BATCH = 10;

export const SOCKET_PATH = '/v1/portal/socket';

/**
 * Close codes the server uses after an `error` event: the session was signed out,
 * replaced or revoked (connect again with the current cookie), the person was
 * blocked or suspended (connecting again is refused with 403), or the session or
 * address already has as many sockets open as allowed (back off). Without an
 * event: 1008 when the client stopped reading and its unsent data passed the
 * bound, and `catchUp` (1012, "service restart") when the server's event bus lost
 * its database connection for a while; either way, connect again and re-join with
 * `after` to get what was missed.
 */
export const SOCKET_CLOSE = {
  signedOut: 4401,
  restricted: 4403,
  tooMany: 4429,
  sendQueueFull: 1008,
  catchUp: 1012,
} as const;
