/**
 * Counts one command's requests in flight on an AWS SDK v3 client (a middleware at its first step,
 * so an SDK retry stays inside one count): how many were sent, how many are open now, and the most
 * open at once. What the concurrency limits in ingest and the export worker are checked with.
 */
interface MiddlewareClient {
  middlewareStack: { add(middleware: (next: (args: any) => Promise<any>, context: { commandName?: string }) => (args: any) => Promise<any>, options: { step: 'initialize'; name: string }): void };
}

export interface InFlight {
  calls: number;
  now: number;
  most: number;
}

export function countInFlight<C extends MiddlewareClient>(client: C, commandName: string): InFlight {
  const seen: InFlight = { calls: 0, now: 0, most: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      seen.calls++;
      seen.most = Math.max(seen.most, ++seen.now);
      try {
        return await next(args);
      } finally {
        seen.now--;
      }
    },
    { step: 'initialize', name: `countInFlight${commandName}` },
  );
  return seen;
}
