/** Request bodies built to break parsers, shared by the property tests of the write routes. */
import fc from 'fast-check';

/**
 * Deeply nested JSON (issue 9, item 11): arrays or objects nested from a few levels to ~200 KB worth,
 * at the top of the body or inside answers. Parsing, hashing or canonicalising it must never
 * overflow the stack: a 400 naming `body`.
 */
export const nestedJson = fc
  .tuple(fc.constantFrom('array', 'object'), fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(1_000, 40_000, 100_000)), fc.constantFrom('top', 'answers', 'value'))
  .map(([kind, n, where]) => {
    const inner = kind === 'array' ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(Math.min(n, 40_000))}1${'}'.repeat(Math.min(n, 40_000))}`;
    if (where === 'top') return `{"answers":${inner}}`;
    if (where === 'answers') return `{"answers":{"eyes":{"OD":{"icdrLevel":${inner}}}},"submit":false}`;
    return `{"picks":{"eyes":{"OD":{"icdrLevel":{"value":${inner}}}}},"reasonCode":"other","note":"n"}`;
  });
