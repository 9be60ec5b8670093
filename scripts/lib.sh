# Shared by scripts/run, scripts/test and scripts/bench. Sourced, not run.
# Installs what a fresh machine lacks; every step is skipped when already done.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Builds outside the clone survive fresh clones (CI) and keep warm builds fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard/target}"
export PATH="$HOME/.cargo/bin:$PATH"
BIN="$CARGO_TARGET_DIR/debug/lanyard"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The WASM toolchain: the wasm32 target and wasm-bindgen-cli at exactly the Cargo.lock
# version (the generated glue must match the wasm-bindgen crate).
ensure_wasm_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local wanted
  wanted="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wanted" ]; then
    say "Installing wasm-bindgen-cli $wanted (about 2 minutes, once per machine)"
    # Not --locked: its lock file pins a webpki-roots that no longer builds.
    cargo install wasm-bindgen-cli --version "$wanted"
  fi
}

# Builds the server binary and the hydration bundle into target/site/pkg: what
# `cargo leptos build` does with the metadata in Cargo.toml, done with plain cargo and
# wasm-bindgen, which spares a fresh machine (and CI) cargo-leptos's 9-minute install.
# The bundle is named as LEPTOS_OUTPUT_NAME in .cargo/config.toml tells the server.
build_site() {
  say "Building the server and the WASM bundle"
  cargo build -p server --bin lanyard
  cargo build -p frontend --lib --target wasm32-unknown-unknown
  local pkg="$ROOT/target/site/pkg"
  rm -rf "$pkg"
  mkdir -p "$pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name lanyard \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/debug/frontend.wasm"
  mv "$pkg/lanyard_bg.wasm" "$pkg/lanyard.wasm"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_url URL SECONDS
wait_for_url() {
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out waiting for $1" >&2
      return 1
    fi
    sleep 0.3
  done
}

# start_postgres DIR: a throwaway Postgres cluster in DIR on a free loopback port, trust
# auth, owned by the `postgres` user when run as root (Postgres refuses to run as root).
# Prints the admin URL, e.g. postgres://postgres@127.0.0.1:PORT; stop_postgres DIR stops it.
start_postgres() {
  local dir="$1" port bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  port="$(free_port)"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  echo "postgres://postgres@127.0.0.1:$port"
}

stop_postgres() {
  local dir="$1" bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  local as=()
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
}
