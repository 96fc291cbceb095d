# hotinit: the init, a self-contained /opt/hotinit, and the demo web app.
#
# With a registry:   docker build -t hotinit .
# Without one (see docs/containers.md): build on the host, stage, and use a
# local base image for both stages:
#   npm ci && npm run build && node docker/assemble.mjs --no-node docker/prebuilt/hotinit
#   docker/make-base-image.sh
#   docker build --build-arg BUILD_IMAGE=hotinit-base:local \
#     --build-arg BASE_IMAGE=hotinit-base:local --build-arg PREBUILT=1 -t hotinit .
#
# Works with BuildKit and with the legacy builder (which builds every stage):
# the choice between building and using prebuilt files is an ARG, not a stage.
ARG BUILD_IMAGE=node:24-bookworm
ARG BASE_IMAGE=node:24-bookworm-slim

# --- build: compile the addon and the launcher, then assemble /opt/hotinit ---
FROM ${BUILD_IMAGE} AS build
ARG PREBUILT=
WORKDIR /src
# node-gyp builds against the image's own headers instead of downloading them.
ENV npm_config_nodedir=/usr/local npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json binding.gyp tsconfig.json ./
COPY native/ native/
COPY src/ src/
RUN if [ -z "$PREBUILT" ]; then npm ci && npm run build; fi
COPY docker/ docker/
# /opt/hotinit/bin/node is this stage's Node.js (the same release as the base's),
# stripped of its debug symbols where `strip` is there (-18 MB; addons still load).
RUN if [ -n "$PREBUILT" ]; then \
      [ -x docker/prebuilt/hotinit/bin/hotinit ] || { echo "PREBUILT=1: docker/prebuilt/hotinit is missing (node docker/assemble.mjs --no-node docker/prebuilt/hotinit)" >&2; exit 1; }; \
      mkdir -p /opt && cp -a docker/prebuilt/hotinit /opt/hotinit && cp "$(command -v node)" /opt/hotinit/bin/node; \
    else \
      node docker/assemble.mjs /opt/hotinit; \
    fi \
 && { ! command -v strip >/dev/null || strip /opt/hotinit/bin/node; } \
 && /opt/hotinit/bin/hotinit --version

# --- runtime: the base image + /opt/hotinit + the demo ---
FROM ${BASE_IMAGE} AS runtime
COPY --from=build /opt/hotinit /opt/hotinit
# hotinit on PATH; a base without Node.js (e.g. debian:bookworm-slim) gets
# hotinit's own for the demo; a non-root user with /app and /run (control
# socket, readiness sockets) of its own.
RUN ln -s /opt/hotinit/bin/hotinit /usr/local/bin/hotinit \
 && { command -v node >/dev/null || ln -s /opt/hotinit/bin/node /usr/local/bin/node; } \
 && { id -u node >/dev/null 2>&1 || useradd -u 1000 -m node 2>/dev/null || useradd -m node 2>/dev/null || adduser -D -u 1000 node; } \
 && mkdir -p /app /run \
 && chown node:node /app /run
COPY --chown=node:node docker/web/ docker/load.mjs /app/
USER node
WORKDIR /app
# The release to swap to: the same server, version 2 (see docs/containers.md).
RUN mkdir -p /app/releases \
 && sed "s/^const VERSION = '1';/const VERSION = '2';/" server.mjs >releases/server-v2.mjs \
 && chmod 755 releases/server-v2.mjs \
 && grep -q "^const VERSION = '2';" releases/server-v2.mjs
ENTRYPOINT ["hotinit", "--"]
CMD ["/app/server.mjs"]
