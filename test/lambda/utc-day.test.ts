/** The audit tests' day (test/helpers/utc-day.ts): never one that ends before their writes are in. */
import { utcDay, utcDayClearOfMidnight } from '../helpers/utc-day';

afterEach(() => jest.useRealTimers());

test('away from midnight: today, at once', async () => {
  jest.useFakeTimers({ now: Date.parse('2026-12-05T12:00:00.000Z') });
  await expect(utcDayClearOfMidnight(30_000)).resolves.toBe('2026-12-05');
  expect(utcDay(Date.parse('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31');
});

test('within the margin of midnight: waits for the next day, and returns it', async () => {
  jest.useFakeTimers({ now: Date.parse('2026-12-31T23:59:45.000Z') }); // 15 s left, the margin is 30 s
  let day: string | undefined;
  const taken = utcDayClearOfMidnight(30_000).then((d) => (day = d));
  await jest.advanceTimersByTimeAsync(14_000);
  expect(day).toBeUndefined();
  await jest.advanceTimersByTimeAsync(1_500);
  await taken;
  expect(day).toBe('2027-01-01');
});

test('exactly the margin left: today, at once', async () => {
  jest.useFakeTimers({ now: Date.parse('2026-12-05T23:59:30.000Z') });
  await expect(utcDayClearOfMidnight(30_000)).resolves.toBe('2026-12-05');
});
