import * as fs from 'fs';
import * as path from 'path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CONSUMERS_DIR = path.join(PROJECT_ROOT, 'test', 'consumers');
export const DIST_DIR = path.join(PROJECT_ROOT, 'dist');

/** Installs and caches of the consumer apps: gitignored, and kept between runs so that reruns are quick. */
export const CONSUMERS_WORK_DIR = path.join(PROJECT_ROOT, '.local', 'consumers');

/** Shared with `package:java`, which would otherwise download the CDK's jar again into a throwaway repository. */
export const MAVEN_LOCAL_REPOSITORY = path.join(PROJECT_ROOT, '.local', 'maven-repository');

/** The version being packaged: the release build bumps package.json before it packages. */
export function projectVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;
}

/** The aws-cdk-lib the library is built and tested with; the consumer apps pin the same one. */
export function cdkVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).devDependencies['aws-cdk-lib'];
}

/**
 * The newest aws-cdk-lib each registry served when this was written. The library is built against its minimum, but
 * users bring their own aws-cdk-lib, usually a recent one, and the peer range promises every later 2.x.
 * Maven Central here serves no aws-cdk-lib jar newer than the minimum, so Java has no entry.
 */
export const NEWEST_CDK_VERSION = { npm: '2.276.0', pypi: '2.275.0', go: '2.276.0' } as const;

/** The one file in `dist/<language>` whose name ends with `suffix`, or an error that says how to make it. */
export function distArtifact(language: string, suffix: string): string {
  const dir = path.join(DIST_DIR, language);
  const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(suffix)) : [];
  if (found.length !== 1) {
    throw new Error(`Expected one *${suffix} in ${dir}, found ${found.length ? found.join(', ') : 'none'}: `
      + 'run `npx projen package-all` (or a build) first.');
  }
  return path.join(dir, found[0]);
}
