/**
 * The jest environment of every project: Node's, with a passing run kept quiet and a failing test
 * still telling its story.
 *
 * Everything the code under test writes (the handlers' JSON log lines through `console`, CDK's
 * "Bundling asset …" on `process.stderr`, anything on `process.stdout`) is held per test instead of
 * printed. When a test fails, its output (including what its file's `beforeAll` wrote before it) is
 * printed after it, labelled with the test's name; when it passes, it is dropped. Only the test
 * sandbox's `console` and `process` streams are replaced: jest's own reporting is untouched.
 *
 * It also turns off the AWS SDK's Node-version notice (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED):
 * the tests run on the Node version the project supports, and the notice repeated once per file.
 *
 * And it gives each test file an ordinary global object (vm.constants.DONT_CONTEXTIFY) instead of
 * jest-environment-node's contextified one, whose global object is a Proxy behind V8 interceptors:
 * there every read of a global (`Math`, `Object`, `JSON`, `Buffer`, `process`…) in the code under
 * test took a slow path, 20–80× a plain read (nodejs/node#31658). `Math.imul` in a hash loop ran 20×
 * slower under jest than in node, and aws-cdk-lib, zod, the SDK and fast-check read globals all the
 * time. What jest loses is its sweep of globals a test file set (`globalsCleanup`): the whole
 * context is dropped at teardown anyway.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';

type EnvironmentArgs = ConstructorParameters<typeof NodeEnvironment>;

// The module object jest-environment-node reads `createContext` from when it builds the context.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vm: { createContext: typeof import('node:vm').createContext; constants: typeof import('node:vm').constants } = require('node:vm');
const createContext = vm.createContext;

/** Makes the next vm.createContext (the one in jest's constructor) an ordinary global object; passes its arguments through. */
function nextContextPlain<T>(args: T): T {
  vm.createContext = (() => {
    vm.createContext = createContext;
    return createContext(vm.constants.DONT_CONTEXTIFY);
  }) as typeof createContext;
  return args;
}

/** The parts of a jest-circus event this environment reads. */
interface TestEvent {
  name: string;
  test?: { name: string; errors: unknown[]; parent?: { name: string; parent?: unknown } };
}

const fullName = (test: NonNullable<TestEvent['test']>): string => {
  const names = [test.name];
  for (let block = test.parent as { name: string; parent?: unknown } | undefined; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent as typeof block) names.unshift(block.name);
  return names.join(' › ');
};

export default class QuietEnvironment extends NodeEnvironment {
  private held: string[] = [];

  constructor(...args: EnvironmentArgs) {
    super(...nextContextPlain(args));
    vm.createContext = createContext;
    this.global.process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  }

  override async setup(): Promise<void> {
    await super.setup();
    const hold = (chunk: unknown) => {
      this.held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    };
    const sink = new Writable({
      write(chunk, _encoding, done) {
        hold(chunk);
        done();
      },
    });
    this.global.console = new Console({ stdout: sink, stderr: sink });
    // The sandbox's own process object: its stream properties can be replaced without touching the real ones.
    for (const name of ['stdout', 'stderr'] as const) {
      const real = process[name];
      const held = new Proxy(real, {
        get(target, key) {
          if (key === 'write') {
            return (chunk: unknown, ...rest: unknown[]) => {
              hold(chunk);
              const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
              done?.();
              return true;
            };
          }
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      Object.defineProperty(this.global.process, name, { value: held, configurable: true, writable: true });
    }
  }

  async handleTestEvent(event: TestEvent): Promise<void> {
    if (event.name !== 'test_done' || !event.test) return;
    const output = this.held.join('');
    this.held = [];
    if (event.test.errors.length > 0 && output.trim() !== '') {
      process.stderr.write(`\n── output of the failing test "${fullName(event.test)}" ──\n${output}${output.endsWith('\n') ? '' : '\n'}── end of its output ──\n`);
    }
  }
}
