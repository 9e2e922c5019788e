#!/usr/bin/env bash
# Gives @tensorflow/tfjs-node (or -gpu) a libtensorflow without its install script, whose download
# host many machines cannot reach: the TensorFlow shared libraries and C headers come from PyPI's
# TensorFlow wheel, and the N-API binding is compiled here with node-gyp against the local Node
# headers. Opt-in (`npm run native:setup`); CI never runs it. Run it again after `npm ci`, which
# removes the optional package whose install script failed.
#
#   scripts/native-setup.sh [--gpu] [--tf-version X.Y.Z]
#
# --gpu builds tfjs-node-gpu against the CUDA-enabled `tensorflow` wheel instead of `tensorflow-cpu`;
# it needs a machine with the matching CUDA and cuDNN libraries (see deploy/Dockerfile.gpu).
set -euo pipefail

cd "$(dirname "$0")/.."

# 2.15.1 is the version tested here: its libtensorflow_cc.so.2 exports the whole C API that the
# tfjs-node 4.22 binding calls, with no Python symbols. Wheels before 2.12 keep the C API inside a
# Python extension module and cannot be loaded into Node.
tf_version=2.15.1
flavour=cpu
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) flavour=gpu ;;
    --tf-version) tf_version="$2"; shift ;;
    *) echo "usage: $0 [--gpu] [--tf-version X.Y.Z]" >&2; exit 2 ;;
  esac
  shift
done

if [ "$flavour" = gpu ]; then
  package=@tensorflow/tfjs-node-gpu
  wheel=tensorflow
else
  package=@tensorflow/tfjs-node
  wheel=tensorflow-cpu
fi
tfjs_version=$(node -p "require('@tensorflow/tfjs/package.json').version")
package_dir="node_modules/$package"
cache_root="${SEQSCORE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/seqscore}"
cache="$cache_root/libtensorflow/$wheel-$tf_version"

step() { printf '\n==> %s\n' "$*"; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=manylinux_2_17_x86_64 ;;
  Linux-aarch64) platform=manylinux_2_17_aarch64 ;;
  *) echo "error: only Linux x86_64 and aarch64 wheels are wired up here" >&2; exit 1 ;;
esac

step "$package $tfjs_version without its install script"
if [ ! -f "$package_dir/package.json" ]; then
  # The install script would fail on its download; the package itself needs no script.
  npm install --no-save --ignore-scripts --no-audit --no-fund "$package@$tfjs_version"
fi

step "libtensorflow $tf_version from the $wheel wheel (cached in $cache)"
if [ ! -f "$cache/lib/libtensorflow_cc.so.2" ]; then
  python3 -m pip --version >/dev/null 2>&1 || { echo "error: python3 with pip is needed to fetch the wheel" >&2; exit 1; }
  download=$(mktemp -d)
  trap 'rm -rf "$download"' EXIT
  # Only the wheel's files are used, never its Python code, so any supported CPython tag will do.
  python3 -m pip download "$wheel==$tf_version" --no-deps --only-binary=:all: \
    --platform "$platform" --python-version 3.11 --dest "$download" --quiet
  python3 - "$download"/*.whl "$cache" <<'PY'
import sys, zipfile, pathlib
wheel, cache = sys.argv[1], pathlib.Path(sys.argv[2])
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
with zipfile.ZipFile(wheel) as archive:
    names = set(archive.namelist())
    missing = libs - names
    if missing:
        sys.exit(f'error: the wheel has no {", ".join(sorted(missing))}; use TensorFlow 2.12 or later')
    # The C API headers include only these trees (xla/tsl from TensorFlow 2.18 on).
    headers = ('tensorflow/include/tensorflow/', 'tensorflow/include/tsl/', 'tensorflow/include/xla/tsl/')
    for name in names:
        if name in libs:
            target = cache / 'lib' / pathlib.Path(name).name
        elif name.startswith(headers) and not name.endswith('/'):
            target = cache / 'include' / name[len('tensorflow/include/'):]
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(name))
PY
fi

step "staging the libraries and headers where the binding's build expects them"
rm -rf "$package_dir/deps"
mkdir -p "$package_dir/deps/lib"
cp "$cache/lib/libtensorflow_cc.so.2" "$cache/lib/libtensorflow_framework.so.2" "$package_dir/deps/lib/"
# binding.gyp links -ltensorflow -ltensorflow_framework; the wheel's C API lives in libtensorflow_cc.
ln -s libtensorflow_cc.so.2 "$package_dir/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$package_dir/deps/lib/libtensorflow_framework.so"
ln -s "$cache/include" "$package_dir/deps/include"

step "building the N-API binding with node-gyp"
node_prefix=$(node -p "require('path').resolve(process.execPath, '../..')")
if [ ! -f "$node_prefix/include/node/node_api.h" ]; then
  echo "error: no Node headers in $node_prefix/include/node; install the Node development headers" >&2
  exit 1
fi
napi=$(node -p "Math.max(...require('./$package_dir/package.json').binary.napi_versions.filter((v) => v <= Number(process.versions.napi)))")
node_gyp=${npm_config_node_gyp:-$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js}
# --nodedir points node-gyp at the local headers instead of downloading them.
(cd "$package_dir" && node "$node_gyp" rebuild --nodedir="$node_prefix" \
  --module_name=tfjs_binding --module_path="$PWD/lib/napi-v$napi" --napi_build_version="$napi")

step "checking that it runs"
node --input-type=module -e "
import * as tf from '@tensorflow/tfjs';
await import('$package');
await tf.setBackend('tensorflow');
const sum = tf.unsortedSegmentSum(tf.ones([3, 2]), tf.tensor1d([0, 2, 0], 'int32'), 3);
const ok = JSON.stringify(await sum.array()) === JSON.stringify([[2, 2], [0, 0], [1, 1]]);
console.log('$package on libtensorflow', tf.backend().binding.TF_Version, ok ? 'works' : 'gives WRONG results');
if (!ok) process.exit(1);
"
