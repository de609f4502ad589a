import { z } from 'zod';
export const ReadingConfigSchema = z.object({ readsPerCase: z.number().default(2) });
