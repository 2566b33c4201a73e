import { awscdk, javascript } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

/** sharp is both a test dependency and what the shipped layers contain: one version for both. */
const SHARP_VERSION = '0.35.5';

/** The build packages every language and installs each package in a consumer app with that language's toolchain. */
const CONSUMER_TOOLCHAINS = [
  { name: 'Set up Python', uses: 'actions/setup-python@v7.0.0', with: { 'python-version': '3.x' } },
  { name: 'Set up Java', uses: 'actions/setup-java@v6.0.0', with: { 'distribution': 'temurin', 'java-version': '17' } },
  { name: 'Set up Go', uses: 'actions/setup-go@v7.0.0', with: { 'go-version': '^1.26.0', 'cache': false } },
];

/**
 * The tests read reference photographs kept beside the checkout, not in it (see test/support/corpus.ts): a runner
 * has none, so the build and the release fetch them before they test.
 */
const FETCH_CORPUS = { name: 'Fetch the reference photographs', run: 'npx projen corpus:fetch' };

/**
 * The photographs come out of about 100 MB of Debian packages, so a run keeps them for the next in the Actions cache.
 * fetch-corpus.ts pins each package's SHA-256, so its hash names the photographs; the fetch after a restore only
 * fills in what the cache lacked. The cache takes an absolute path (it refuses `..`), worked out first: the directory
 * test/support/corpus.ts reads, `shared/corpus` beside the checkout.
 */
const CACHE_CORPUS = [
  { name: 'Locate the reference photographs', id: 'corpus', run: 'echo "dir=$(dirname "$GITHUB_WORKSPACE")/shared/corpus" >> "$GITHUB_OUTPUT"' },
  {
    name: 'Restore the reference photographs',
    uses: 'actions/cache@v5.0.5',
    with: { path: '${{ steps.corpus.outputs.dir }}', key: "reference-photographs-${{ hashFiles('test/support/fetch-corpus.ts') }}" },
  },
];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-image-resize-pipeline',
  description: 'One construct for a serverless image pipeline: upload API, S3, SQS, a sharp resize Lambda and SNS notifications.',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'image', 'resize', 'thumbnail', 'sharp', 'lambda', 's3', 'sqs', 'sns', 'api-gateway'],
  author: 'cdk-image-resize-pipeline maintainers',
  authorAddress: 'maintainers@cdk-image-resize-pipeline.dev',
  repositoryUrl: 'https://github.com/cdk-image-resize-pipeline/cdk-image-resize-pipeline.git',
  defaultReleaseBranch: 'main',
  license: 'Apache-2.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  jsiiVersion: '~6.0.0',
  cdkVersion: '2.263.0',
  constructsVersion: '10.5.1',
  minNodeVersion: '20.16.0',
  // jsii 6 no longer supports Node 20. Node 22's npm 10 deletes the libc fields that npm 11.11 and later (Node 24.14.1
  // and later) write into package-lock.json, so a build on 22 changed the lock and failed: CI runs on 24.
  workflowNodeVersion: '24.x',
  tsconfigDevFile: 'tsconfig.dev.json',

  publishToPypi: {
    distName: 'cdk-image-resize-pipeline',
    module: 'cdk_image_resize_pipeline',
  },
  publishToMaven: {
    mavenGroupId: 'io.github.cdk-image-resize-pipeline',
    mavenArtifactId: 'cdk-image-resize-pipeline',
    javaPackage: 'io.github.cdkimageresizepipeline',
  },
  // jsii publishes the Go module to its own repository, in a folder named for the package.
  publishToGo: {
    moduleName: 'github.com/cdk-image-resize-pipeline/cdk-image-resize-pipeline-go',
    packageName: 'cdkimageresizepipeline',
  },

  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    bundlingOptions: {
      // sharp comes from the layer; the two SDK clients from the Lambda runtime itself.
      externals: ['sharp', '@aws-sdk/client-s3', '@aws-sdk/client-sns'],
      sourcemap: false,
    },
  },

  devDeps: [
    `sharp@${SHARP_VERSION}`,
    '@aws-sdk/client-s3',
    '@aws-sdk/client-sns',
    '@aws-sdk/client-sqs',
    '@aws-sdk/s3-request-presigner',
    '@aws-lambda-powertools/batch',
    '@aws-lambda-powertools/logger',
    '@types/aws-lambda',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'esbuild',
    'cdk-nag@^3',
    'jimp',
    '@aws-sdk/s3-presigned-post',
    // npm places aws-cdk-lib 2.263.0's cloud-assembly-schema inside aws-cdk-lib's bundle (it is a peer of the
    // bundled cloud-assembly-api), where the tarball has no copy, so jsii finds an empty folder. Declared here, it is
    // installed at the top, where jsii and aws-cdk-lib both find it. The Go package's go.mod names the version
    // installed here, so it is the one aws-cdk-lib's own Go module requires: the Go proxy serves that one.
    '@aws-cdk/cloud-assembly-schema@54.11.0',
  ],

  jestOptions: {
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 120_000,
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumers/'],
    },
    extraCliOptions: ['--json', '--outputFile=test-reports/jest-results.json'],
  },

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'local', 'bench', 'samples', 'projenrc'],
    tsconfigPath: './tsconfig.dev.json',
  },

  gitignore: ['/.local/', '/bench/out/'],

  buildWorkflowOptions: { preBuildSteps: [...CONSUMER_TOOLCHAINS, ...CACHE_CORPUS, FETCH_CORPUS] },
  releaseWorkflowSetupSteps: [...CONSUMER_TOOLCHAINS, ...CACHE_CORPUS, FETCH_CORPUS],
});

for (const pattern of ['/local/', '/bench/', '/samples/', '/.ci/', '/.local/', '/tsconfig.dev.json', '/rosetta/']) {
  project.addPackageIgnore(pattern);
}
// projen's `dist` pattern matches at any depth, so it would drop sharp's own dist/ (its entry point) from the layers.
project.addPackageIgnore('!/assets/**/dist/');

project.gitattributes.addAttributes('*.jpg', 'binary');
project.gitattributes.addAttributes('*.png', 'binary');
project.gitattributes.addAttributes('*.webp', 'binary');
project.gitattributes.addAttributes('*.gif', 'binary');

// The handler's modules are bundled into the Lambda asset; their packages are build-time dependencies.
project.eslint?.allowDevDeps('src/handler/**');
project.eslint?.allowDevDeps('src/upload-url/**');

// typescript-eslint's project service picks the nearest tsconfig.json, jsii's, which covers src/ only; the dev
// tsconfig covers the tests, the local pipeline and the benchmark too.
const eslintrc = project.tryFindObjectFile('.eslintrc.json')!;
eslintrc.addDeletionOverride('parserOptions.projectService');
eslintrc.addOverride('parserOptions.project', './tsconfig.dev.json');

project.tsconfigDev.addInclude('.projenrc.ts');
project.tsconfigDev.addInclude('local/**/*.ts');
project.tsconfigDev.addInclude('bench/**/*.ts');

/**
 * Both sharp layers are built at package time from sharp's prebuilt npm binaries, so no user needs Docker or a
 * native toolchain. Each package in them has the version package-lock.json gives it. The stamp, which records those
 * versions, makes repeated compiles skip the download and a change to the lock rebuild the layers.
 */
const sharpLayers = project.addTask('sharp-layers', {
  description: 'Build the sharp Lambda layers (linux arm64 and x64) into assets/',
  env: { SHARP_VERSION },
  exec: 'bash projenrc/build-sharp-layers.sh',
});
project.preCompileTask.spawn(sharpLayers);

/**
 * The integ snapshot check compares what deploys: the templates and asset manifests. The metadata and the
 * validation report also hold stack traces with this checkout's absolute paths, which differ on every machine.
 * `cdk synth -o` deletes nothing in its output folder, so each synth starts from an empty one: a renamed stack's old
 * template would otherwise outlive it, in the committed snapshot and in a local check that a fresh clone fails.
 */
const integAssert = project.tasks.tryFind('integ:pipeline:assert')!;
const integSynth = 'cdk synth --quiet --app "ts-node -P tsconfig.dev.json test/pipeline.integ.ts" --no-notices --no-version-reporting --no-asset-metadata --no-path-metadata';
const integAssertOut = 'test/.tmp/pipeline.integ/assert.cdk.out';
integAssert.reset();
integAssert.exec('node -e "require(\'fs\').statSync(\'test/pipeline.integ.snapshot\')" || (echo "No integ snapshot: run npx projen integ:pipeline:snapshot" >&2; exit 1)');
integAssert.execArgs(['rm', '-fr', integAssertOut]);
integAssert.exec(`${integSynth} -o ${integAssertOut}`);
integAssert.exec([
  'diff -r -x "asset.*" -x cdk.out -x manifest.json -x tree.json -x "*.metadata.json" -x validation-report.json',
  `test/pipeline.integ.snapshot/ ${integAssertOut}/`,
].join(' '));
project.tasks.tryFind('integ:pipeline:snapshot')!.prependExec('rm -fr test/pipeline.integ.snapshot');

/**
 * projen's destroy task reads the snapshot directory as the cloud assembly, but git ignores the snapshot's
 * manifest.json, and after a failed deploy the deployed assembly is still in test/.tmp: so it synthesizes the app
 * afresh, whose stack names do not change. It is the test's own cleanup, run unattended after a deploy: no prompt.
 */
const integDestroy = project.tasks.tryFind('integ:pipeline:destroy')!;
integDestroy.reset();
integDestroy.execArgs([
  'cdk', 'destroy', '--app', 'ts-node -P tsconfig.dev.json test/pipeline.integ.ts', '--no-notices', '--no-version-reporting',
  '**', '--force', '-o', 'test/.tmp/pipeline.integ/destroy.cdk.out',
]);

/**
 * `cdk watch` refuses to start without a "watch" key in cdk.json, which this repository has not; and the fixed
 * assertion salt would keep a redeploy from running the assertions again anyway.
 */
project.removeTask('integ:pipeline:watch');

/**
 * The integ app packages the handler bundles and the sharp layers from assets/, which git does not hold: each task
 * that synthesizes it builds them first, so it works on a fresh clone and never deploys a stale bundle.
 */
for (const step of ['assert', 'snapshot', 'deploy', 'destroy']) {
  project.tasks.tryFind(`integ:pipeline:${step}`)!.prependSpawn(project.preCompileTask);
}

/**
 * The snapshot's templates name each asset by its hash, which moves whenever a bundled dependency does (powertools,
 * the presigner, esbuild itself, sharp's locked packages): an upgrade writes the snapshot again, so that the upgrade's
 * pull request is checked against the templates of its own dependencies. The snapshot task builds the bundles and the
 * sharp layers first.
 */
project.upgradeWorkflow!.postUpgradeTask.spawn(project.tasks.tryFind('integ:snapshot-all')!);

project.addTask('corpus:fetch', {
  description: 'Copy the reference photographs the tests and the benchmark read from their Debian packages into ../shared/corpus ([DIR])',
  exec: 'ts-node --project tsconfig.dev.json test/support/fetch-corpus.ts',
  receiveArgs: true,
});

project.addTask('bench', {
  description: 'Benchmark the image core against a pipeline per size, jimp and the one-output floor (--dir DIR, --quick)',
  exec: 'ts-node --project tsconfig.dev.json bench/run.ts',
  receiveArgs: true,
});
project.addTask('bench:memory', {
  description: 'Peak memory of the image core per input kind, for choosing maxInputPixels against memorySize',
  exec: 'ts-node --project tsconfig.dev.json bench/memory.ts',
  receiveArgs: true,
});

project.addTask('bench:cold-start', {
  description: 'Bundle size, init time and first-resize time of the handler bundle and the sharp layer in fresh processes ([RUNS])',
  steps: [{ spawn: 'bundle' }, { spawn: 'sharp-layers' }, { exec: 'ts-node --project tsconfig.dev.json bench/cold-start.ts', receiveArgs: true }],
});

project.addTask('local', {
  description: 'Run the example pipeline on this machine against moto (no AWS account)',
  exec: 'ts-node --project tsconfig.dev.json local/main.ts',
  receiveArgs: true,
});

project.addTask('demo', {
  description: 'Start the local pipeline, push sample images through it and print what came back',
  exec: 'ts-node --project tsconfig.dev.json local/demo.ts',
  receiveArgs: true,
});

project.addTask('load-test', {
  description: 'Push 1,000 uploads through the local pipeline and reconcile every one (--uploads N, --concurrency N, --workers N, --timeout-seconds N)',
  exec: 'ts-node --project tsconfig.dev.json local/load-test.ts',
  receiveArgs: true,
});

project.addTask('redrive', {
  description: 'Move the dead-letter queue\'s messages back to the resize queue (--queue-url URL [--dead-letter-queue-url URL] [--endpoint URL] [--region R])',
  exec: 'ts-node --project tsconfig.dev.json local/redrive.ts',
  receiveArgs: true,
});

// The end-to-end tests run the built handler bundle and layers, so a plain `projen test` builds them first
// (both steps are quick when nothing changed).
project.testTask.prependSpawn(project.preCompileTask);
// ts-jest and ts-node only transpile (isolatedModules), and jsii type-checks src/ alone, so a type error in a test,
// the local pipeline or the benchmark would otherwise pass unseen.
project.testTask.spawn(project.addTask('typecheck', {
  description: 'Type-check the tests, the local pipeline and the benchmark as well as the library',
  exec: 'tsc --noEmit -p tsconfig.dev.json',
}));

/**
 * Consumer tests install the packaged library the way users do, so they run after packaging, as the last
 * step of a build, with their own jest results beside the main suite's.
 */
const consumerTests = project.addTask('test:consumers', {
  description: 'Install the built npm, Python, Java and Go packages into consumer apps and synthesize the pipeline',
  exec: 'jest --ci --config test/consumers/jest.config.json --json --outputFile=test-reports/jest-consumers.json',
  receiveArgs: true,
});
// The README's TypeScript examples reach the Python, Java and Go READMEs through a tablet of translations that
// jsii-rosetta makes after each compile. It compiles each example against this build, with the code around it from
// rosetta/, so an example that no longer compiles fails the build. The tablet ships in the npm tarball, from which
// CI's packaging jobs work. Packaging fails rather than copy an untranslated example under another language's
// fence. Examples that are TypeScript in every README (the TypeScript app, the local test tooling) are fenced as
// tsx, which rosetta does not translate.
project.postCompileTask.exec('jsii-rosetta extract --strict');
project.gitignore.exclude('/.jsii.tabl.json');
const pacmak = (target: string, ...options: string[]) =>
  ['jsii-pacmak -v --target', target, '--rosetta-unknown-snippets fail', ...options].join(' ');
// pacmak's default Maven repository is a temporary one, so every run would download the CDK's jar again.
project.tasks.tryFind('package:java')!.reset(pacmak('java', '--maven-local-repository .local/maven-repository'));
project.tasks.tryFind('package:python')!.reset(pacmak('python'));
project.tasks.tryFind('package:go')!.reset(pacmak('go'));
const packageAll = project.tasks.tryFind('package-all')!;
// The consumer tests need the packages, so a build packages them all, in CI too, and then installs each.
project.packageTask.reset();
project.packageTask.spawn(packageAll);
project.packageTask.spawn(consumerTests);
// The TypeScript consumer app is a project of its own, type-checked against the installed tarball.
project.eslint?.addIgnorePattern('test/consumers/typescript/');
project.tsconfigDev.addExclude('test/consumers/typescript');

project.synth();
