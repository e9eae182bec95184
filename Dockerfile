# syntax=docker/dockerfile:1
# Heirloom: compiled by tsc in a build stage; the image runs the JavaScript with production dependencies only.
#   docker build -t heirloom .
#   docker run -p 4000:4000 -e TOKEN="$(openssl rand -hex 32)" -v heirloom-data:/data heirloom
# HOST is 0.0.0.0 here, so the server refuses to start without TOKEN (or TOKEN_FILE, e.g. a Docker secret);
# INSECURE=1 opts out, serving every table to anyone who reaches the port.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a source change reuses this layer.
# classic-level (LevelDB) ships prebuilt binaries for linux x64/arm64 (glibc): no compiler needed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
# The dashboard's files, served as they are (no build step).
COPY public ./public
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

# A static wget (busybox, musl) for the health check: probing with `node -e fetch(…)` would start a
# whole Node process (~40 MB, ~50 ms of CPU) every interval.
FROM busybox:1.37-musl AS probe

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data
WORKDIR /app
# package.json stays: its "type": "module" makes dist/*.js ES modules.
# The code is owned by root and read-only to the server's user; only /data is writable.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
# The `heirloom` command (bin/heirloom.js runs dist/src/cli/main.js here: no src/ in the image).
COPY --from=build /app/bin ./bin
RUN ln -s /app/bin/heirloom.js /usr/local/bin/heirloom
COPY --from=probe /bin/wget /usr/local/bin/wget
# Created and chowned before VOLUME, so a new named volume starts owned by `node`.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 4000
# Readiness, not liveness: /readyz is 503 while the supervision tree restarts. It stays open with a token.
# 127.0.0.1 reaches the server while HOST is 0.0.0.0.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${PORT}/readyz" || exit 1
# main.ts closes HTTP, the supervision tree and LevelDB in order on SIGTERM, giving up after 8 s:
# below Docker's default 10 s stop timeout, so the process exits before it is killed.
STOPSIGNAL SIGTERM
# A young generation of 2 x 64 MB, not 2 x 16: see "V8's young generation" in the README.
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
