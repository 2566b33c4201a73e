#!/usr/bin/env bash
# Builds one Lambda layer per architecture from sharp's prebuilt Linux binaries:
#   assets/sharp-layer/<arm64|x64>/nodejs/node_modules/...
# Lambda puts /opt/nodejs/node_modules on the module path, so the handler's require('sharp') finds it.
set -euo pipefail
: "${SHARP_VERSION:?}"
root="assets/sharp-layer"
# Raised whenever what the script leaves in a layer changes, so that a checkout holding an older layer rebuilds it.
layout=3
for arch in arm64 x64; do
  dir="$root/$arch/nodejs"
  # Beside the layer, not in it: a record of the build in the layer would change its asset hash, and so make every
  # consumer publish a new layer version, whenever the record changes but the modules do not.
  stamp="$root/$arch.built"
  manifest="$(node projenrc/sharp-layer-manifest.js "$arch")"
  built="linux-$arch-glibc-layout$layout $manifest"
  # The layer itself is checked too: the stamp, beside it, outlives a layer deleted by hand.
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$built" ] && [ -d "$dir/node_modules/sharp" ]; then
    continue
  fi
  rm -rf "$root/$arch" "$stamp"
  mkdir -p "$dir"
  echo "$manifest" > "$dir/package.json"
  npm install --prefix "$dir" --no-package-lock --omit=dev --no-audit --no-fund \
    --os=linux --cpu="$arch" --libc=glibc >/dev/null
  node projenrc/prune-sharp-layer.js "$arch" "$dir"
  # Only the modules go in the layer: npm's own bookkeeping would change the asset hash between npm versions, and
  # npm pack leaves out the symlinks in .bin, so a package's layer would hash differently from this checkout's.
  rm -rf "$dir/package.json" "$dir/node_modules/.package-lock.json" "$dir/node_modules/.bin"
  links="$(find "$dir" -type l)"
  test -z "$links" || { echo "sharp-layers: npm pack would leave out these symlinks: $links" >&2; exit 1; }
  echo "$built" > "$stamp"
done
