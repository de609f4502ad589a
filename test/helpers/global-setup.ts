/**
 * Jest global setup of the projects that use the AWS emulator (test/helpers/moto.ts):
 *
 * - fails the run at once, with the install command, when python3 cannot import moto;
 * - for the `lambda` project, starts one moto server per jest worker for the whole run (each
 *   worker runs one file at a time, and the harness resets its moto before a file starts), and
 *   recovers moto's token-signing key once; the workers inherit both through the environment.
 *   Starting a moto and recovering the key per file cost about two seconds each time.
 *
 * globalTeardown (./global-teardown.ts) stops the servers.
 */
import { publishShared, recoverMotoSigningKeyPem, requireMoto, startTestMoto, type MotoServer } from './moto';

declare global {
  // Read by ./global-teardown.ts (same process).
  var readroomSharedMotos: MotoServer[] | undefined;
}

export default async function globalSetup(globalConfig: { maxWorkers: number }, projectConfig: { displayName?: { name: string } }): Promise<void> {
  requireMoto();
  if (projectConfig.displayName?.name !== 'lambda' || globalThis.readroomSharedMotos) return;
  const workers = Math.max(1, globalConfig.maxWorkers);
  // Concurrently: recovering the key and starting the emulators are separate Python processes.
  const [pem, ...motos] = await Promise.all([recoverMotoSigningKeyPem(), ...Array.from({ length: workers }, () => startTestMoto())]);
  globalThis.readroomSharedMotos = motos;
  publishShared(
    motos.map((m) => m.endpoint),
    pem,
  );
}
