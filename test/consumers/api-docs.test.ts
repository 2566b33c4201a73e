import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './support/project-paths';

interface Docs {
  readonly summary?: string;
}

/** Every docs entry in the assembly's types, named by the path to it. */
function docsOf(node: unknown, where: string): Array<[where: string, docs: Docs]> {
  if (Array.isArray(node)) {
    return node.flatMap((item, index) => docsOf(item, `${where}[${(item as { name?: string })?.name ?? index}]`));
  }
  if (node === null || typeof node !== 'object') {
    return [];
  }
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'docs' ? [[where, value as Docs] as [string, Docs]] : docsOf(value, `${where}.${key}`));
}

describe('the jsii assembly', () => {
  const assemblyFile = path.join(PROJECT_ROOT, '.jsii');

  function assemblyTypes(): Record<string, Record<string, unknown>> {
    if (!fs.existsSync(assemblyFile)) {
      throw new Error(`${assemblyFile} is missing: run \`npx projen compile\` first.`);
    }
    return JSON.parse(fs.readFileSync(assemblyFile, 'utf8')).types;
  }

  // jsii takes a doc comment's summary up to the first `.`, `;`, `!` or `?` followed by whitespace. API.md, Construct
  // Hub and the Python, Java and Go docstrings show that summary alone in their tables and hovers, so a first
  // sentence with a semicolon in it is shown cut off mid-thought.
  test('has no doc summary cut off at a semicolon', () => {
    const summaries = docsOf(assemblyTypes(), 'types').filter(([, docs]) => docs.summary !== undefined);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.filter(([, docs]) => docs.summary!.endsWith(';'))
      .map(([where, docs]) => `${where}: ${docs.summary}`)).toEqual([]);
  });

  // API.md and Construct Hub show any initializer the assembly lists, protected or not, as the way to make one, but
  // an abstract class cannot be instantiated: that `new` does not compile in TypeScript and raises in Python.
  test('lists no initializer for an abstract class', () => {
    const abstractClasses = Object.entries(assemblyTypes()).filter(([, type]) => type.kind === 'class' && type.abstract);
    expect(abstractClasses.length).toBeGreaterThan(0);
    expect(abstractClasses.filter(([, type]) => type.initializer).map(([fqn]) => fqn)).toEqual([]);
  });
});
