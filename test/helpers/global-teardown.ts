/** Stops the run's shared moto servers (./global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  const motos = globalThis.readroomSharedMotos ?? [];
  globalThis.readroomSharedMotos = undefined;
  await Promise.all(motos.map((m) => m.stop()));
}
