import { z } from 'zod';

/** Procedures without input still take `{}` (or an empty body); unknown fields are 400. */
export const ZNoInput = z.object({}).strict();
