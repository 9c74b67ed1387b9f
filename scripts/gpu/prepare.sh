#!/usr/bin/env bash
# CPU side (Debian bookworm with network): prepares what a GPU machine that can fetch nothing needs to
# build and run the whole of avtune against its own CUDA LibTorch (run.sh). It downloads, with
# `apt-get download`, the Debian packages of the media, embedded and study components' libraries
# (headers, pkg-config files and the shared libraries they load, found by ldd), unpacks them with
# `dpkg -x` into .gpu-deps/root (ignored by git), drops what a build does not read (docs, man pages,
# static libraries, executables) and packs the rest into .gpu-deps/avtune-gpu-deps.tar.xz.
# LibTorch, glibc and the C++ runtime are the GPU machine's own and are not carried.
#
#   scripts/gpu/prepare.sh            # then carry .gpu-deps to the GPU machine and run scripts/gpu/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${AVTUNE_GPU_DEPS:-$root/.gpu-deps}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
libdir=/usr/lib/$multiarch

# Build-time packages: headers, pkg-config files, the unversioned .so links (the lists of
# scripts/setup.sh that a GPU machine lacks; Gloo's headers: pip's LibTorch does not ship them).
dev_pkgs=(libsndfile1-dev libsoxr-dev libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libswresample-dev libjpeg62-turbo-dev libpng-dev libfftw3-dev libespeak-ng-dev zlib1g-dev libcairo2-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libgloo-dev libgtest-dev libgmock-dev
  espeak-ng-data fonts-dejavu-core dataset-fashion-mnist)
# Libraries any glibc system has (and LibTorch's own): not carried.
base='^(libc6|libgcc-s1|libstdc\+\+6|libgomp1|zlib1g|libtorch.*|libc10.*)$'

missing=()
for p in "${dev_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "prepare: expected these packages installed here (scripts/setup.sh), got them missing: ${missing[*]}" >&2
  exit 1
fi

# Runtime packages: whatever owns the shared libraries the components' libraries load, transitively.
sonames=(libavformat.so.59 libavcodec.so.59 libavutil.so.57 libswscale.so.6 libswresample.so.4 libcairo.so.2
  libsndfile.so.1 libsoxr.so.0 libjpeg.so.62 libpng16.so.16 libfftw3f.so.3 libespeak-ng.so.1 libfmt.so.9)
rt_pkgs=$(for s in "${sonames[@]}"; do
  [ -e "$libdir/$s" ] || { echo "prepare: expected $libdir/$s (Debian bookworm's soname), got none" >&2; exit 1; }
  echo "$libdir/$s"; ldd "$libdir/$s" | awk '$3 ~ /^\// {print $3}'
done | xargs -n1 readlink -f | sort -u | while read -r f; do
  # Merged /usr: dpkg knows some libraries by their /lib path.
  dpkg -S "$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null || echo "prepare: warning: no package owns $f" >&2
done | cut -d: -f1 | sort -u | grep -Ev "$base" || true)

cache=$root/.gpu-deps-debs  # downloaded .deb files, kept for the next run (ignored)
rm -rf "$dest.tmp" && mkdir -p "$cache" "$dest.tmp/root"
# Package lists of some packages include multi-arch qualifiers; download names the version installed here,
# so the build on the GPU machine sees the same libraries this machine's tests ran with.
pkgs=$(printf '%s\n' "${dev_pkgs[@]}" $rt_pkgs | sort -u)
n=$(echo "$pkgs" | wc -l)
echo "prepare: downloading $n Debian packages"
(cd "$cache" && for p in $pkgs; do
  v=$(dpkg-query -W -f='${Version}' "$p")
  ls "${p}_"*.deb >/dev/null 2>&1 || apt-get download -qq "$p=$v" 2>/dev/null || apt-get download -qq "$p"
done)
for p in $pkgs; do dpkg -x "$(ls "$cache/${p}_"*.deb | tail -1)" "$dest.tmp/root"; done
# What a build and a run never read.
r="$dest.tmp/root"
rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/locale" "$r/usr/share/lintian" "$r/usr/share/info" \
  "$r/usr/share/bug" "$r/usr/bin" "$r/usr/sbin" "$r/bin" "$r/etc"
find "$r" -name '*.a' ! -name 'libgtest*' ! -name 'libgmock*' -delete  # GoogleTest is static only
# Shared linking needs no Requires.private, whose .pc files (X11, glib, codecs...) are not carried.
find "$r" -name '*.pc' -exec sed -i '/^Requires\.private:/d' {} +
# Intel Media SDK's hardware plugins (dlopened by its dispatcher, used by no avtune code path).
rm -rf "$r/usr/lib/$multiarch/mfx" "$r/usr/lib/$multiarch"/libmfxhw64.so*
# eSpeak NG: the embedded data speaks English voices only (audio/speech_synth.h).
find "$r/usr/lib/$multiarch/espeak-ng-data" -name '*_dict' ! -name 'en_dict' -delete
# Fashion-MNIST: the first 10,000 training and 2,000 test images (the quick study draws 750 and the
# end-to-end benchmark under 1,000); the full files are 30 MiB of already-compressed data.
python3 - "$r/usr/share/datasets/fashion-mnist" <<'PY'
import gzip, struct, sys
d = sys.argv[1]
for split, n in (("train", 10000), ("t10k", 2000)):
    for kind, head in (("images-idx3", 16), ("labels-idx1", 8)):
        path = f"{d}/{split}-{kind}-ubyte.gz"
        data = gzip.open(path).read()
        item = 784 if kind.startswith("images") else 1
        out = bytearray(data[:head + n * item])
        out[4:8] = struct.pack(">I", n)
        with gzip.open(path, "wb", 9) as f:
            f.write(out)
PY
du -sh "$r" | awk '{print "prepare: unpacked " $1}'
tar -C "$dest.tmp" -cf - root | xz -T0 -6 >"$dest.tmp/avtune-gpu-deps.tar.xz"
printf '%s\n' $pkgs >"$dest.tmp/packages.txt"
rm -rf "$dest.tmp/root" "$dest"
mv "$dest.tmp" "$dest"
size=$(stat -c %s "$dest/avtune-gpu-deps.tar.xz")
echo "prepare: $dest/avtune-gpu-deps.tar.xz: $((size / 1048576)) MiB for $n packages (list in $dest/packages.txt)"
[ "$size" -lt $((62 * 1048576)) ] || echo "prepare: warning: over 62 MiB; the device tool carries 64 MiB in all, source tree included" >&2
