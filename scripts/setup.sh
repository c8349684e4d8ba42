#!/usr/bin/env bash
# One-command set-up: a Python >= 3.12, the virtual environment .venv with the pinned
# requirements, and the `sim` package installed in editable mode.
#
#   bash scripts/setup.sh                 # full set-up (idempotent; fast when nothing changed)
#   bash scripts/setup.sh --python-only   # only find (or build) a Python >= 3.12 and print its path
#
# Python is looked for in this order:
#   $SIM_PYTHON (if set), python3.13, python3.12, python3 on PATH (only ones that really run),
#   a cached build in ${XDG_CACHE_HOME:-$HOME/.cache}/sim/python3.13,
#   otherwise CPython 3.13 is built from Debian trixie's source package into that cache
#   (Debian/apt machines only; needs root or sudo for apt-get).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/sim"
PY_PREFIX="$CACHE_ROOT/python3.13"
PY_CACHED="$PY_PREFIX/bin/python3.13"
PY_BUILD_MARKER="$PY_PREFIX/.sim-build-complete"
VENV="$REPO_ROOT/.venv"
STAMP="$VENV/.setup-stamp"
APT_SRC_FILE="/etc/apt/sources.list.d/sim-trixie-src.sources"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# True when "$1" runs and is a Python >= 3.12 that can create virtual environments.
python_ok() {
    "$1" -c 'import sys; assert sys.version_info >= (3, 12); import venv, ensurepip' >/dev/null 2>&1
}

# The root-or-sudo prefix for apt-get; empty when already root.
sudo_cmd() {
    if [ "$(id -u)" -eq 0 ]; then
        echo ""
    elif command -v sudo >/dev/null 2>&1; then
        echo "sudo"
    else
        die "building Python needs apt-get as root, but this is not root and sudo is missing; install a Python >= 3.12 (or set SIM_PYTHON) and re-run"
    fi
}

# Print the URI of the main Debian archive as configured on this machine (never hard-coded):
# the first URI of the deb822 stanza whose suite is a release (no '-updates'/'-security' suffix),
# falling back to the one-line /etc/apt/sources.list format.
debian_archive_uri() {
    local uri=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        uri="$(awk '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; suites = ""; types = ""
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^[ \t]*#/) continue
                    low = tolower(line)
                    if (low ~ /^uris:/)   { sub(/^[^:]*:[ \t]*/, "", line); uris = line }
                    if (low ~ /^suites:/) { sub(/^[^:]*:[ \t]*/, "", line); suites = line }
                    if (low ~ /^types:/)  { sub(/^[^:]*:[ \t]*/, "", line); types = line }
                }
                if (types !~ /(^|[ \t])deb([ \t]|$)/) next
                n = split(suites, s, /[ \t]+/)
                for (j = 1; j <= n; j++) {
                    if (s[j] != "" && s[j] !~ /-/) { split(uris, u, /[ \t]+/); print u[1]; exit }
                }
            }' /etc/apt/sources.list.d/debian.sources)"
    fi
    if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
        uri="$(sed -e 's/#.*//' -e 's/\[[^]]*\]//g' /etc/apt/sources.list \
               | awk '$1 == "deb" && $3 !~ /-/ { print $2; exit }')"
    fi
    [ -n "$uri" ] || die "could not find the Debian archive URI in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
    printf '%s\n' "$uri"
}

# Build CPython 3.13 from Debian trixie's source package into $PY_PREFIX.
build_python() {
    command -v apt-get >/dev/null 2>&1 \
        || die "no Python >= 3.12 found and this is not a Debian/apt machine; install Python >= 3.12 (or set SIM_PYTHON) and re-run"
    local tool
    for tool in cc make tar xz; do
        command -v "$tool" >/dev/null 2>&1 || die "building Python needs '$tool' (install build-essential / xz-utils)"
    done

    local sudo uri signed_by tmp log_file t0
    sudo="$(sudo_cmd)"
    uri="$(debian_archive_uri)"
    signed_by="$(awk 'tolower($0) ~ /^signed-by:/ { sub(/^[^:]*:[ \t]*/, ""); print; exit }' \
                 /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
    case "$signed_by" in /*) ;; *) signed_by="" ;; esac   # keep only a keyring path, not an inline key
    t0=$SECONDS

    log "no Python >= 3.12 found: building CPython 3.13 from Debian trixie sources into $PY_PREFIX (a few minutes)"
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/sim-python-build.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'; $sudo rm -f '$APT_SRC_FILE'" EXIT
    log "adding a trixie deb-src entry ($APT_SRC_FILE) and running apt-get update"
    {
        echo "# Added by sim's scripts/setup.sh to fetch the python3.13 source package."
        echo "Types: deb-src"
        echo "URIs: $uri"
        echo "Suites: trixie"
        echo "Components: main"
        if [ -n "$signed_by" ]; then echo "Signed-By: $signed_by"; fi
    } | $sudo tee "$APT_SRC_FILE" >/dev/null
    $sudo apt-get update -qq >/dev/null || die "apt-get update failed"

    mkdir -p "$CACHE_ROOT"
    log_file="$CACHE_ROOT/python3.13-build.log"
    : >"$log_file"

    log "downloading the python3.13 source package"
    (cd "$tmp" && apt-get source --download-only python3.13) >>"$log_file" 2>&1 \
        || { tail -n 20 "$log_file" >&2; die "apt-get source python3.13 failed (log: $log_file)"; }
    $sudo rm -f "$APT_SRC_FILE"   # only needed for the download; leave apt as it was
    local orig
    orig="$(ls "$tmp"/python3.13_*.orig.tar.* 2>/dev/null | head -n 1 || true)"
    [ -n "$orig" ] || die "the python3.13 orig tarball was not downloaded (log: $log_file)"
    log "unpacking $(basename "$orig")"
    tar -xf "$orig" -C "$tmp"
    local srcdir
    srcdir="$(ls -d "$tmp"/Python-3.13.* 2>/dev/null | head -n 1 || true)"
    [ -d "$srcdir" ] || die "no Python-3.13.* directory in $(basename "$orig")"

    rm -rf "$PY_PREFIX"
    log "configure (log: $log_file)"
    (cd "$srcdir" && ./configure --prefix="$PY_PREFIX" --with-ensurepip=install) >>"$log_file" 2>&1 \
        || { tail -n 30 "$log_file" >&2; die "configure failed (log: $log_file)"; }
    log "make -j$(nproc)"
    (cd "$srcdir" && make -j"$(nproc)") >>"$log_file" 2>&1 \
        || { tail -n 30 "$log_file" >&2; die "make failed (log: $log_file)"; }
    log "make install"
    (cd "$srcdir" && make install) >>"$log_file" 2>&1 \
        || { tail -n 30 "$log_file" >&2; die "make install failed (log: $log_file)"; }

    "$PY_CACHED" -c 'import ssl, ctypes, zlib, bz2, lzma, sqlite3, hashlib, venv, ensurepip' >>"$log_file" 2>&1 \
        || die "the built Python lacks a standard module (ssl/ctypes/zlib/bz2/lzma/sqlite3); install the -dev packages and re-run (log: $log_file)"
    touch "$PY_BUILD_MARKER"

    rm -rf "$tmp"
    trap - EXIT
    log "built $("$PY_CACHED" -c 'import platform; print(platform.python_version())') in $((SECONDS - t0)) s"
}

# Print the path of a usable Python >= 3.12, building one if needed.
find_python() {
    local cand path dir
    if [ -n "${SIM_PYTHON:-}" ]; then
        python_ok "$SIM_PYTHON" || die "SIM_PYTHON=$SIM_PYTHON is not a working Python >= 3.12 with venv"
        printf '%s\n' "$SIM_PYTHON"; return
    fi
    # Walk every PATH entry (not just the first hit), so a broken shim (e.g. pyenv's
    # "command not found") does not hide a working interpreter further down PATH.
    local -a dirs
    IFS=: read -r -a dirs <<<"$PATH"
    for cand in python3.13 python3.12 python3; do
        for dir in "${dirs[@]}"; do
            path="${dir:-.}/$cand"
            if [ -f "$path" ] && [ -x "$path" ] && python_ok "$path"; then
                printf '%s\n' "$path"; return
            fi
        done
    done
    if [ -f "$PY_BUILD_MARKER" ] && python_ok "$PY_CACHED"; then
        printf '%s\n' "$PY_CACHED"; return
    fi
    build_python
    python_ok "$PY_CACHED" || die "the built Python at $PY_CACHED does not work"
    printf '%s\n' "$PY_CACHED"
}

# sha256 of requirements.txt + pyproject.toml (computed with the venv's Python: portable).
deps_hash() {
    "$VENV/bin/python" - "$REPO_ROOT/requirements.txt" "$REPO_ROOT/pyproject.toml" <<'PY'
import hashlib, sys
h = hashlib.sha256()
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        h.update(f.read())
print(h.hexdigest())
PY
}

main() {
    if [ "${1:-}" = "--python-only" ]; then
        find_python
        return
    fi
    [ $# -eq 0 ] || die "usage: scripts/setup.sh [--python-only]"

    cd "$REPO_ROOT"
    local t0=$SECONDS

    if [ -e "$VENV/bin/python" ] && python_ok "$VENV/bin/python"; then
        log ".venv ok ($("$VENV/bin/python" -c 'import platform; print(platform.python_version())'))"
    else
        local py
        py="$(find_python)"
        if [ -e "$VENV" ]; then
            log ".venv is missing its Python or it is older than 3.12: recreating it"
            rm -rf "$VENV"
        fi
        log "creating .venv with $py ($("$py" -c 'import platform; print(platform.python_version())'))"
        "$py" -m venv "$VENV"
    fi

    local want
    want="$(deps_hash)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -e "$VENV/bin/sim" ]; then
        log "requirements unchanged: nothing to install"
    else
        rm -f "$STAMP"
        local pip_log="$VENV/setup-pip.log"
        : >"$pip_log"
        log "installing requirements.txt into .venv (a minute or two the first time; log: .venv/setup-pip.log)"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -r requirements.txt >>"$pip_log" 2>&1 \
            || { tail -n 30 "$pip_log" >&2; die "pip install -r requirements.txt failed (log: $pip_log)"; }
        log "installing sim (editable)"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -e . --no-deps >>"$pip_log" 2>&1 \
            || { tail -n 30 "$pip_log" >&2; die "pip install -e . failed (log: $pip_log)"; }
        printf '%s\n' "$want" >"$STAMP"
    fi

    "$VENV/bin/python" -c "import sim._dolfinx" \
        || die "'import sim._dolfinx' failed in .venv (delete .venv/.setup-stamp to force a reinstall)"
    [ -e "$VENV/bin/sim" ] || die ".venv/bin/sim is missing (delete .venv/.setup-stamp to force a reinstall)"
    log "done in $((SECONDS - t0)) s: .venv/bin/sim is ready"
}

main "$@"
