#!/usr/bin/env bash
# Builds one Lambda layer per architecture from sharp's prebuilt Linux binaries:
#   assets/sharp-layer/<arm64|x64>/nodejs/node_modules/...
# Lambda puts /opt/nodejs/node_modules on the module path, so the handler's require('sharp') finds it.
set -euo pipefail
: "${SHARP_VERSION:?}"
root="assets/sharp-layer"
for arch in arm64 x64; do
  dir="$root/$arch/nodejs"
  stamp="$dir/.sharp-version"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$SHARP_VERSION-linux-$arch-glibc" ]; then
    continue
  fi
  rm -rf "$root/$arch"
  mkdir -p "$dir"
  echo '{"name":"sharp-layer","private":true}' > "$dir/package.json"
  npm install --prefix "$dir" --no-save --no-package-lock --omit=dev --no-audit --no-fund \
    --os=linux --cpu="$arch" --libc=glibc "sharp@$SHARP_VERSION" >/dev/null
  test -d "$dir/node_modules/@img/sharp-linux-$arch" || { echo "sharp-layers: @img/sharp-linux-$arch missing" >&2; exit 1; }
  test -d "$dir/node_modules/@img/sharp-libvips-linux-$arch" || { echo "sharp-layers: libvips for $arch missing" >&2; exit 1; }
  # Only the modules go in the layer: npm's own bookkeeping would change the asset hash between npm versions.
  rm -f "$dir/package.json" "$dir/node_modules/.package-lock.json"
  echo "$SHARP_VERSION-linux-$arch-glibc" > "$stamp"
done
