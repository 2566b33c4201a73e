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

/** The README without its fenced code blocks, where a line that starts with `#` is a comment rather than a heading. */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '');
}

/** The text each ATX heading shows: code spans and links keep only their text. */
function headingTextsOf(markdown: string): string[] {
  return [...withoutCodeBlocks(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)]
    .map((match) => match[1].replace(/`([^`]*)`/g, '$1').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim());
}

/** GitHub's heading ids (github-slugger): punctuation but hyphens dropped, spaces made hyphens, repeats numbered. */
function githubHeadingIds(headings: string[]): string[] {
  const seen = new Map<string, number>();
  return headings.map((heading) => {
    const slug = heading.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    return repeats === 0 ? slug : `${slug}-${repeats}`;
  });
}

/** Construct Hub's heading ids (construct-hub-webapp's sanitize-anchor.ts): hyphens dropped too, repeats kept. */
function constructHubHeadingIds(headings: string[]): string[] {
  return headings.map((heading) => heading.toLowerCase().replace(/[^a-zA-Z0-9 ]/g, '').replace(/ /g, '-'));
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
  // target resolves against pypi.org or a directory without the repository's files. A `#...` link stays on the
  // page; it reaches its section on GitHub and Construct Hub, but PyPI gives headings no ids (pypi/warehouse#4064).
  test('links only to its own sections or to absolute URLs, never to a path that breaks on PyPI and pkg.go.dev', () => {
    const targets = linkTargetsOf(proseOf(text));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !/^(#|https?:\/\/|mailto:)/.test(target))).toEqual([]);
  });

  // Construct Hub, which shows the README on the package's page, makes its heading ids its own way: it drops hyphens
  // and gives repeated headings the same id, so a link that works on GitHub can go nowhere, or to the wrong section.
  test('links to its own sections by ids that name exactly one heading on GitHub and on Construct Hub', () => {
    const headings = headingTextsOf(text);
    const fragments = [...new Set(linkTargetsOf(proseOf(text)).filter((target) => target.startsWith('#')))]
      .map((target) => decodeURIComponent(target.slice(1)));
    expect(fragments.length).toBeGreaterThan(0);
    const unmatched = (ids: string[]) => fragments.filter((fragment) => ids.filter((id) => id === fragment).length !== 1);
    expect({
      github: unmatched(githubHeadingIds(headings)),
      constructHub: unmatched(constructHubHeadingIds(headings)),
    }).toEqual({ github: [], constructHub: [] });
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
