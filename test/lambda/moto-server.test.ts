/**
 * The suite's moto (test/helpers/moto-server.py) answers exactly as plain moto does: its self-check
 * runs the functions' kinds of DynamoDB calls against both in one process and fails on any
 * difference in an answer or in the table afterwards.
 */
import { spawnSync } from 'node:child_process';
import { TEST_MOTO_SERVER } from '../helpers/moto';

test('the patched moto gives the same answers and leaves the same table as plain moto', () => {
  const run = spawnSync('python3', [...TEST_MOTO_SERVER, '--self-check'], { encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toMatch(/^self-check: \d+ DynamoDB calls, identical$/m);
});
