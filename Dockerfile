# syntax=docker/dockerfile:1
#
# One image for every role: `ROLE` (or `serve --role`) picks which actors a container hosts.
# Build:  docker build -t ghcr.io/streamforge/streamforge:dev .
#         docker build --build-arg WITH_TFJS_NODE=true ...   # optional native TensorFlow backend
#
# The runtime runs TypeScript sources through Node 24's type stripping, so there is no compile
# stage: the first stage only resolves production dependencies (and drops what Node never loads),
# the second copies them next to bin/ and src/ and drops to an unprivileged user.
# Without Docker (buildah, no daemon, no container registry needed): `npm run image`.

# Both stages use the same pinned Node 24 image (literal, so scanners and update bots can read it).
FROM node:24.21.0-slim AS deps
# Optional accelerator for the trainer. Off by default: its install script downloads libtensorflow
# from outside the npm registry, which fails on networks that only reach the registry.
ARG WITH_TFJS_NODE=false
ARG TFJS_NODE_VERSION=4.22.0
# Extra flags for `npm ci`, empty for real builders. Builds on machines whose build sandbox cannot
# reach the registry pass `--offline --cache=<a mounted npm cache>` (scripts/image/build-image.sh).
ARG NPM_CI_FLAGS=""
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency needs an install script; skipping them keeps the build hermetic.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund $NPM_CI_FLAGS \
 && if [ "$WITH_TFJS_NODE" = "true" ]; then \
      npm install --omit=dev --no-save --no-audit --no-fund "@tensorflow/tfjs-node@${TFJS_NODE_VERSION}"; \
    fi \
 && npm cache clean --force
# What Node never loads (source maps, type declarations, docs, tests, Bare add-ons): about 60 MB.
# A step of its own, so changing the rules does not invalidate the install above.
COPY scripts/image/prune-node-modules.sh /usr/local/bin/prune-node-modules
RUN prune-node-modules node_modules

FROM node:24.21.0-slim AS runtime
LABEL org.opencontainers.image.title="streamforge" \
      org.opencontainers.image.description="Crypto market-data ingestion and workflow platform" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/streamforge/streamforge"
# A fixed high uid/gid, so Kubernetes `runAsUser: 10001` and file ownership agree.
RUN groupadd --system --gid 10001 streamforge \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin streamforge \
 && mkdir -p /data \
 && chown 10001:10001 /data
WORKDIR /app
# Application files stay root-owned and read-only to the runtime user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
# The web console's page, scripts and styles, served at / (no build step: plain ES modules).
COPY console ./console
# Node's compile cache of the CLI's modules (type-stripped and compiled), made once here, so a new
# container does not compile them again. Node keys it by uid: made as 10001 (the uid the manifests
# run as), then handed to root, read-only at run time (Node skips writing to it).
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN install -d -o 10001 -g 10001 "$NODE_COMPILE_CACHE" \
 && setpriv --reuid=10001 --regid=10001 --clear-groups node bin/streamforge.js --version >/dev/null \
 && chown -R root:root "$NODE_COMPILE_CACHE" \
 && chmod -R a+rX,go-w "$NODE_COMPILE_CACHE"
# Every interface, as a container is reached through its network; ROLE=all then needs
# STREAMFORGE_API_TOKEN (or STREAMFORGE_INSECURE_NO_AUTH=true), and says so at start-up.
ENV STREAMFORGE_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080 \
    ROLE=all
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001
# slim images have no curl: probe with node itself. Exit 0 only on a 2xx from /health/live.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1: the CLI must handle SIGTERM/SIGINT itself (PID 1 gets no default signal action).
ENTRYPOINT ["node", "bin/streamforge.js"]
CMD ["serve"]
