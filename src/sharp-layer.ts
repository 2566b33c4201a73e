import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The folder under assets/sharp-layer with sharp's prebuilt binaries for each architecture Lambda names. */
const BINARIES: ReadonlyMap<string, string> = new Map([
  [lambda.Architecture.ARM_64.name, 'arm64'],
  [lambda.Architecture.X86_64.name, 'x64'],
]);

/** Which sharp layer to make. */
export interface SharpLayerProps {
  /**
   * The processor the layer's native binaries are built for, which must match the function's. The package holds
   * binaries for ARM_64 and X86_64 only, so any other architecture is refused.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
}

/**
 * sharp and libvips as a Lambda layer, from sharp's prebuilt Linux (glibc) binaries that ship inside this
 * package: no Docker and no native build on the user's machine, in any CDK language. It suits every Node.js
 * runtime sharp supports (22 and later on Lambda); it names no runtimes, because CDK's check that a function's
 * runtime is among a layer's compares `supportsInlineCode` as well as the name and family, and so refuses
 * Runtime.NODEJS_24_X (inline code allowed) to a function built with `new Runtime('nodejs24.x', ...)` (not), as
 * projen generates them.
 */
export class SharpLayer extends lambda.LayerVersion {
  /** The architecture the layer's binaries run on. */
  public readonly architecture: lambda.Architecture;

  /**
   * @param scope where the layer goes
   * @param id unique among the scope's children
   * @param props the architecture to build for
   */
  constructor(scope: Construct, id: string, props: SharpLayerProps = {}) {
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const directory = BINARIES.get(architecture.name);
    if (directory === undefined) {
      throw new Error(`SharpLayer has sharp binaries for ${[...BINARIES.keys()].join(' and ')} only, not ${architecture.name}: choose lambda.Architecture.ARM_64 or lambda.Architecture.X86_64`);
    }
    super(scope, id, {
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'assets', 'sharp-layer', directory)),
      compatibleArchitectures: [architecture],
      description: `sharp (libvips) for Node.js on Linux ${architecture.name}`,
      // The layer holds each package under its own licence: sharp, its addon and detect-libc under Apache-2.0, the
      // libvips package under LGPL-3.0-or-later, @img/colour under MIT and semver under ISC.
      license: 'Apache-2.0 AND LGPL-3.0-or-later AND MIT AND ISC',
    });
    this.architecture = architecture;
  }
}
