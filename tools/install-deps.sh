#!/usr/bin/env bash
# Installs every Debian package gibkit needs to build, test and run its demo.
# Safe to rerun: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev libboost-filesystem-dev libboost-system-dev libboost-program-options-dev
  libbotan-2-dev
  libwebsockets-dev
  libleveldb-dev libsnappy-dev
  libxxhash-dev           # space-leveldb's pack files: a checksum per record (XXH3)
  libpqxx-dev             # space-postgres (pulls libpq-dev)
  postgresql-15           # the throwaway server tests/postgres/pg_cluster.sh starts (initdb, pg_ctl)
  libyaml-cpp-dev
  prometheus-cpp-dev      # gibd's /metrics (kernel/admin)
  curl                    # tests fetch /metrics and /healthz over HTTP
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl                 # third-party Ed25519 verification in tests
  clang                   # the SDK and an example plugin are also built with Clang in tests
  help2man                # the man pages gib(1) and gibd(1), generated at build time
  dpkg-dev file           # cpack's .deb: dpkg-shlibdeps reads the binaries' library dependencies
  man-db                  # the package test renders the man pages (man -l)
)
# Node runs the foreign websocket client in transport tests. Some images ship
# Node from another repository whose package conflicts with Debian's npm, so
# only ask Debian for it where no npm is present.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"
