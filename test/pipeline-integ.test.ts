import { spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { app, SAMPLE, SIZES, stacks } from './pipeline.integ';

/** A step of a projen task as .projen/tasks.json holds it. */
interface TaskStep {
  readonly spawn?: string;
  readonly exec?: string;
  readonly execArgs?: string[];
}

/** How the assertions' stack refers to a value of a test stack: by importing that stack's export of it. */
function imported(stack: Stack, value: string) {
  const outputs = Template.fromStack(stack).findOutputs('*', { Value: stack.resolve(value) });
  return { 'Fn::ImportValue': Object.values(outputs)[0]?.Export.Name };
}

describe('the integ test', () => {
  // integ-tests-alpha puts the assertions in a stack of their own, the only one that is not a test case.
  const assertionStack = app.node.findAll().filter(Stack.isStack).find((stack) => !(stacks as Stack[]).includes(stack))!;
  const assertions = Template.fromStack(assertionStack);

  test('every role that may HEAD the resized copies may GetObject them (and decrypt them), which is what HeadObject needs', () => {
    const headRoles = Object.values(assertions.findResources('AWS::IAM::Role', {
      Properties: { Policies: Match.arrayWith([Match.objectLike({ PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['s3:HeadObject'] })]) } })]) },
    }));
    expect(headRoles.length).toBeGreaterThan(0);
    for (const role of headRoles) {
      const statements = role.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
      for (const stack of stacks) {
        const bucketArn = imported(stack, stack.pipeline.resizedBucket.bucketArn);
        for (const size of SIZES) {
          expect(statements).toContainEqual({
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: [{ 'Fn::Join': ['', [bucketArn, `/${size}/integ/${SAMPLE}`]] }],
          });
        }
        const key = stack.pipeline.encryptionKey;
        if (key) {
          expect(statements).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [imported(stack, key.keyArn)] });
        }
      }
    }
  });

  test('no construct\'s metadata holds a path of this checkout, so the snapshot\'s metadata.json files are the same from any checkout', () => {
    const checkout = path.join(__dirname, '..');
    const withPaths = app.node.findAll().flatMap((construct) => construct.node.metadata
      .filter((entry) => JSON.stringify(entry).includes(checkout))
      .map((entry) => `${construct.node.path}: ${entry.type}`));
    expect(withPaths).toEqual([]);
  });

  test.each(stacks.map((stack) => [stack.stackName, stack]))('%s uploads the sample only once the upload bucket notifies the queue', (_, stack) => {
    const template = Template.fromStack(stack);
    const notifications = Object.keys(template.findResources('Custom::S3BucketNotifications'));
    expect(notifications).toHaveLength(1);
    const samples = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    expect(samples).toHaveLength(1);
    expect(samples[0].DependsOn).toContain(notifications[0]);
  });
});

describe('npx projen integ:pipeline:assert', () => {
  test('finds no performance counters beside the templates, however slow the synthesis', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'integ-perf-'));
    const counters = path.join(outdir, 'performance-counters.json');
    const saved = { ...process.env };
    // What `cdk synth` passes the app, with a threshold every synthesis exceeds, as on a busy machine.
    Object.assign(process.env, {
      CDK_OUTDIR: outdir,
      CDK_PERF_COUNTERS_FILE: counters,
      CDK_CONTEXT_JSON: JSON.stringify({ '@aws-cdk/core.slowSynthThreshold': 0 }),
    });
    try {
      // A fresh app: the one imported above was made before this environment was set.
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('./pipeline.integ') as typeof import('./pipeline.integ')).app.synth();
      });
      expect(existsSync(path.join(outdir, 'manifest.json'))).toBe(true);
      expect(existsSync(counters)).toBe(false);
    } finally {
      process.env = saved;
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('npx projen integ:pipeline:deploy', () => {
  const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const row = readme.split('\n').find((line) => line.startsWith('| `npx projen integ:pipeline:deploy` |'));

  test('uploads the sample only to fresh stacks, so the README says to destroy what a failed run left before deploying again', () => {
    let again!: typeof import('./pipeline.integ');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      again = require('./pipeline.integ');
    });
    // CloudFormation runs a custom resource again only when its properties change.
    const uploads = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment')).map((upload) => upload.Properties);
    expect(again.stacks.map(uploads)).toEqual(stacks.map(uploads));
    expect(row).toContain('Run `npx projen integ:pipeline:destroy` before deploying again');
  });

  // Lambda makes a log group of its own, which no stack deletion removes, for a function given none.
  test('leaves the log groups of the functions the test adds, which the README names', () => {
    const sampleUploaders = stacks.flatMap((stack) => {
      const template = Template.fromStack(stack);
      const functions = template.findResources('AWS::Lambda::Function');
      return Object.values(template.findResources('Custom::CDKBucketDeployment'))
        .map((upload) => upload.Properties.ServiceToken['Fn::GetAtt'][0] as string)
        .map((id) => ({ id, fn: functions[id] }));
    });
    const assertionStack = app.node.findAll().filter(Stack.isStack).find((stack) => !(stacks as Stack[]).includes(stack))!;
    const assertionFunctions = Object.entries(Template.fromStack(assertionStack).findResources('AWS::Lambda::Function')).map(([id, fn]) => ({ id, fn }));
    const logGroupless = [...sampleUploaders, ...assertionFunctions].filter(({ fn }) => !fn.Properties.LoggingConfig);
    expect(logGroupless.length).toBeGreaterThan(0);
    // A logical ID is the construct's name and a hash, which the function's name and so its log group's keep.
    const names = new Set(logGroupless.map(({ id }) => id.match(/^([A-Za-z]+?)[0-9a-fA-F]{32}/)![1]));
    expect([...names].filter((name) => !row?.includes(name))).toEqual([]);
  });
});

describe('npx projen integ:pipeline:destroy', () => {
  const root = path.join(__dirname, '..');
  const tasks = JSON.parse(readFileSync(path.join(root, '.projen', 'tasks.json'), 'utf8')).tasks;
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'integ-destroy-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * A cloud assembly directory as a checkout has it: its committed files only. What a deploy or a synth left beside
   * them (manifest.json among them, which git ignores) is not there after a fresh clone or a failed deploy.
   */
  function committedCopy(dir: string): string {
    const copy = path.join(scratch, 'committed', dir);
    const files = spawnSync('git', ['ls-files', '-z', dir], { cwd: root, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const file of files) {
      mkdirSync(path.dirname(path.join(scratch, 'committed', file)), { recursive: true });
      cpSync(path.join(root, file), path.join(scratch, 'committed', file));
    }
    return copy;
  }

  test('finds every stack the deploy made, from what a checkout has', () => {
    const step = tasks['integ:pipeline:destroy'].steps.find((candidate: { execArgs?: string[] }) => candidate.execArgs?.[0] === 'cdk');
    const [cdk, verb, ...args] = step.execArgs;
    expect([cdk, verb]).toEqual(['cdk', 'destroy']);
    const listArgs = args.filter((arg: string) => arg !== '--force');
    const appAt = listArgs.indexOf('--app') + 1;
    const appPath = path.join(root, listArgs[appAt]);
    // cdk reads an --app naming a directory as a cloud assembly, and runs any other as the command that makes one.
    // The task once named the committed snapshot, which a checkout holds without its git-ignored manifest.json; the
    // copy of what git tracks is how this test saw that fail, should the task go back to a directory.
    if (existsSync(appPath) && statSync(appPath).isDirectory()) listArgs[appAt] = committedCopy(listArgs[appAt]);
    const outAt = listArgs.indexOf('-o');
    if (outAt >= 0) listArgs[outAt + 1] = path.join(scratch, 'cdk.out');
    const listed = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk'), ['ls', ...listArgs], { cwd: root, encoding: 'utf8' });
    expect({ status: listed.status, stderr: listed.stderr }).toMatchObject({ status: 0 });
    const deployed = app.node.findAll().filter(Stack.isStack).map((stack) => stack.node.path);
    expect(listed.stdout.trim().split('\n').sort()).toEqual(deployed.sort());
  });
});

describe('the integ tasks', () => {
  const tasks: Record<string, { steps?: TaskStep[] }> = JSON.parse(readFileSync(path.join(__dirname, '..', '.projen', 'tasks.json'), 'utf8')).tasks;

  test('each one that synthesizes the integ app builds the bundles and the sharp layers first, which git does not hold', () => {
    const synthesizes = (step: TaskStep) => [step.exec, ...step.execArgs ?? []].some((text) => text?.includes('test/pipeline.integ.ts'));
    const synthesizing = Object.keys(tasks).filter((name) => tasks[name].steps?.some(synthesizes));
    expect(synthesizing.sort()).toEqual(['assert', 'deploy', 'destroy', 'snapshot'].map((step) => `integ:pipeline:${step}`));
    for (const name of synthesizing) {
      const steps = tasks[name].steps!;
      const preCompileAt = steps.findIndex((step) => step.spawn === 'pre-compile');
      expect({ name, buildsAssets: preCompileAt >= 0 && preCompileAt < steps.findIndex(synthesizes) }).toEqual({ name, buildsAssets: true });
    }
    expect(tasks['pre-compile'].steps).toEqual([{ spawn: 'bundle' }, { spawn: 'sharp-layers' }]);
  });

  test('none runs `cdk watch`, which the CDK CLI refuses to start without a "watch" key in cdk.json, which this repository has not', () => {
    const runsWatch = (step: TaskStep) => (step.execArgs?.[0] === 'cdk' && step.execArgs[1] === 'watch') || /\bcdk watch\b/.test(step.exec ?? '');
    expect(Object.keys(tasks).filter((name) => tasks[name].steps?.some(runsWatch))).toEqual([]);
  });

  // `cdk synth -o` writes over what its output folder holds but deletes nothing: a renamed stack's old template would
  // stay in the snapshot, and in the assert task's output, where a local check would pass that a fresh clone fails.
  test.each(['assert', 'snapshot'])('integ:pipeline:%s empties its synth output folder before it synthesizes', (step) => {
    const words = (candidate: TaskStep) => candidate.execArgs ?? candidate.exec?.split(/\s+/) ?? [];
    const steps = tasks[`integ:pipeline:${step}`].steps!;
    const synthAt = steps.findIndex((candidate) => words(candidate).join(' ').startsWith('cdk synth'));
    const synthWords = words(steps[synthAt]);
    const outdir = synthWords[synthWords.indexOf('-o') + 1];
    expect({ synthAt, outdir }).toEqual({ synthAt: expect.any(Number), outdir: expect.stringMatching(/^test\//) });
    const removesOutdir = (candidate: TaskStep) => {
      const [command, ...args] = words(candidate);
      return command === 'rm' && args.some((arg) => /^-\w*r/.test(arg)) && args.includes(outdir);
    };
    expect({ outdir, emptiedFirst: steps.slice(0, synthAt).some(removesOutdir) }).toEqual({ outdir, emptiedFirst: true });
  });

  test('a dependency upgrade writes the snapshot again, whose asset hashes move with every bundled dependency', () => {
    expect(tasks['post-upgrade'].steps ?? []).toContainEqual({ spawn: 'integ:snapshot-all' });
    expect(tasks['integ:snapshot-all'].steps).toEqual([{ spawn: 'integ:pipeline:snapshot' }]);
  });
});
