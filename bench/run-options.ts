/**
 * The command line of bench/run.ts, which its opening comment describes.
 */
import * as path from 'path';

const REPO_ROOT = path.join(__dirname, '..');

export interface Options {
  readonly dir: string;
  readonly out: string;
  readonly iterations: number;
  readonly quick: boolean;
}

export function parseArgs(args: string[]): Options {
  let dir = path.join(REPO_ROOT, '..', 'shared', 'corpus');
  let out: string | undefined;
  let iterations = 7;
  let quick = false;
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const next = args[++i];
      if (next === undefined) {
        throw new Error(`bench: ${args[i - 1]} needs a value`);
      }
      return next;
    };
    switch (args[i]) {
      case '--dir': dir = path.resolve(value()); break;
      case '--out': out = path.resolve(value()); break;
      case '--iterations': iterations = Number(value()); break;
      case '--quick': quick = true; break;
      default: throw new Error(`bench: unknown argument ${args[i]}; see the comment at the top of bench/run.ts`);
    }
  }
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error('bench: --iterations must be a positive integer');
  }
  // A quick run's one-image figures must not replace the committed results of the whole corpus.
  out ??= quick ? path.join(__dirname, 'out') : __dirname;
  return { dir, out, iterations: quick ? 1 : iterations, quick };
}
