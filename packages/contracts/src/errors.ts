/**
 * The one table of application errors (SPEC §6): each ERR_ code with its HTTP
 * status and the tRPC code tRPC clients see. REST bodies, tRPC error data and
 * socket `error` events all carry these codes.
 */
export const ERRORS = {
  ERR_BAD_REQUEST: { status: 400, trpc: 'BAD_REQUEST', message: 'The request is malformed.' },
  ERR_MATCH_UNSUPPORTED_INTEREST: {
    status: 400,
    trpc: 'BAD_REQUEST',
    message: 'Interests must be 1 to 3 tags of 3-12 lowercase letters or digits.',
  },
  ERR_UNAUTHENTICATED: { status: 401, trpc: 'UNAUTHORIZED', message: 'A valid psession cookie is required.' },
  ERR_INVALID_CREDENTIALS: { status: 401, trpc: 'UNAUTHORIZED', message: 'Wrong username or password.' },
  ERR_STRANGER_BLOCKED: { status: 403, trpc: 'FORBIDDEN', message: 'This session has been blocked by a moderator.' },
  ERR_ACCOUNT_SUSPENDED: { status: 403, trpc: 'FORBIDDEN', message: 'This account has been suspended.' },
  ERR_FORBIDDEN: { status: 403, trpc: 'FORBIDDEN', message: 'You are not allowed to do this.' },
  ERR_BAD_ORIGIN: { status: 403, trpc: 'FORBIDDEN', message: 'Cross-site requests are not allowed.' },
  ERR_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND', message: 'No such resource.' },
  ERR_CHAT_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND', message: 'No such chat.' },
  ERR_MATCH_ALREADY_SEARCHING: {
    status: 409,
    trpc: 'CONFLICT',
    message: 'Already searching with other interests: cancel that search first.',
  },
  ERR_MATCH_SLOT_LIMIT: { status: 409, trpc: 'CONFLICT', message: 'Active chat limit reached: end a chat first.' },
  ERR_USERNAME_TAKEN: { status: 409, trpc: 'CONFLICT', message: 'That username is taken.' },
  ERR_CHAT_ENDED: { status: 409, trpc: 'CONFLICT', message: 'This chat has ended.' },
  ERR_REPORT_OPEN: {
    status: 409,
    trpc: 'CONFLICT',
    message: 'This block comes with a report that is still open: it can be lifted once a moderator has handled it.',
  },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, trpc: 'PAYLOAD_TOO_LARGE', message: 'The request body exceeds 16 KiB.' },
  ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    trpc: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Request bodies must be application/json.',
  },
  ERR_RATE_LIMITED: { status: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Too many requests: slow down.' },
  ERR_INTERNAL: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong on our side.' },
  ERR_UNAVAILABLE: {
    status: 503,
    trpc: 'SERVICE_UNAVAILABLE',
    message: 'The service is briefly unavailable: try again in a few seconds.',
  },
} as const satisfies Record<string, { status: number; trpc: string; message: string }>;

export type TErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as TErrorCode[];

export function isErrorCode(value: unknown): value is TErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** The body of every REST error, and what the socket's `error` event carries. */
export interface TErrorBody {
  error: TErrorCode;
  message: string;
}

/** Thrown by domain code; transports turn it into their own error shape. */
export class AppError extends Error {
  readonly code: TErrorCode;

  constructor(code: TErrorCode, message: string = ERRORS[code].message) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toBody(): TErrorBody {
    return { error: this.code, message: this.message };
  }
}
