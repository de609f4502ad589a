/**
 * The infra project's jest environment: the quiet one (test/helpers/quiet-environment.ts), plus
 * what ./shared-cdk.ts needs to load aws-cdk-lib once per jest worker instead of once per file.
 *
 * - Node's own `require` (this module is loaded by Node, not by jest's per-file module registry),
 *   as the sandbox global `__readroomNodeRequire`.
 * - The worker's real stdout and stderr held like the sandbox's: a module loaded by Node writes to
 *   the real streams (CDK's "Bundling asset …"), and a passing run stays quiet. The worker reports
 *   to jest over IPC, not over these streams.
 */
import QuietEnvironment from '../helpers/quiet-environment';

type Write = typeof process.stdout.write;
const STREAMS = ['stdout', 'stderr'] as const;

export default class InfraEnvironment extends QuietEnvironment {
  private readonly realWrites = { stdout: process.stdout.write, stderr: process.stderr.write };

  constructor(...args: ConstructorParameters<typeof QuietEnvironment>) {
    super(...args);
    this.global.__readroomNodeRequire = require;
  }

  override async setup(): Promise<void> {
    await super.setup();
    this.holdRealStreams();
  }

  override async teardown(): Promise<void> {
    this.releaseRealStreams();
    await super.teardown();
  }

  // The quiet environment prints a failing test's output on the real stderr: let it through.
  override async handleTestEvent(...args: Parameters<QuietEnvironment['handleTestEvent']>): Promise<void> {
    this.releaseRealStreams();
    try {
      await super.handleTestEvent(...args);
    } finally {
      this.holdRealStreams();
    }
  }

  private holdRealStreams(): void {
    const sandbox = this.global.process as NodeJS.Process;
    for (const name of STREAMS) process[name].write = ((...a: Parameters<Write>) => sandbox[name].write(...a)) as Write;
  }

  private releaseRealStreams(): void {
    for (const name of STREAMS) process[name].write = this.realWrites[name];
  }
}
