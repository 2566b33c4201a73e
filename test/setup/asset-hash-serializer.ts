/**
 * Asset hashes change whenever the handler bundle or a layer changes by a byte; snapshots that kept them would
 * fail on every unrelated change. The placeholder keeps the rest of the string, so where an asset is used
 * still shows.
 */
const ASSET_HASH = /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/gi;
const PLACEHOLDER = '[ASSET_HASH]';

const serializer: jest.SnapshotSerializerPlugin = {
  test: (value: unknown) => typeof value === 'string' && new RegExp(ASSET_HASH.source, 'i').test(value),
  serialize: (value: string, config, indentation, depth, refs, printer) =>
    printer(value.replace(ASSET_HASH, PLACEHOLDER), config, indentation, depth, refs),
};

export = serializer;
