import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './support/project-paths';
import { README_SOURCES, readmeRegion } from './support/readme-regions';

/** The README without its fenced code blocks and inline code spans, where a `](` is code rather than a link. */
function proseOf(markdown: string): string {
  return markdown
    .replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** Every target of a markdown link or image, reference definition, or HTML `href` or `src` in the prose. */
function linkTargetsOf(prose: string): string[] {
  const patterns = [
    /!?\[[^\]]*\]\(\s*<?([^)\s>]+)/g,
    /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)/gm,
    /\b(?:href|src)\s*=\s*["']([^"']+)["']/gi,
  ];
  return patterns.flatMap((pattern) => [...prose.matchAll(pattern)].map((match) => match[1]));
}

describe('README.md', () => {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

  test.each(README_SOURCES)('shows the marked region of %s verbatim', (source) => {
    expect(text).toContain(readmeRegion(source));
  });

  // describe-stack-resources returns a stack's first 100 resources only, and a pipeline's stack may hold more.
  test('finds a stack\'s resources with list-stack-resources, in a stack the reader names', () => {
    const stackLookups = [...text.matchAll(/aws cloudformation ([\w-]+) --stack-name (\S+)[\s\\]*--query "(\w+)/g)]
      .map(([, command, stack, queried]) => ({ command, stack, queried }));
    expect(stackLookups.length).toBeGreaterThan(0);
    const expected = { command: 'list-stack-resources', stack: 'STACK', queried: 'StackResourceSummaries' };
    expect(stackLookups).toEqual(stackLookups.map(() => expected));
  });

  // jsii-pacmak ships the README unchanged as the PyPI description and the Go module's README, where a relative
  // target resolves against pypi.org or a directory without the repository's files.
  test('links only to its own sections or to absolute URLs, so that they work on PyPI and pkg.go.dev too', () => {
    const targets = linkTargetsOf(proseOf(text));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !/^(#|https?:\/\/|mailto:)/.test(target))).toEqual([]);
  });

  test('links into the repository package.json declares name files that exist in it', () => {
    const repositoryUrl: string = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).repository.url;
    const ownerAndName = repositoryUrl.replace(/^https:\/\/github\.com\//, '').replace(/\.git$/, '');
    const fileUrlPrefixes = [
      `https://github.com/${ownerAndName}/blob/main/`,
      `https://raw.githubusercontent.com/${ownerAndName}/main/`,
    ];
    const repositoryFiles = linkTargetsOf(proseOf(text)).flatMap((target) => {
      const prefix = fileUrlPrefixes.find((candidate) => target.startsWith(candidate));
      return prefix ? [target.slice(prefix.length).replace(/#.*$/, '')] : [];
    });
    expect(repositoryFiles.filter((file) => !fs.existsSync(path.join(PROJECT_ROOT, file)))).toEqual([]);
  });
});
