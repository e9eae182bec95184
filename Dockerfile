# syntax=docker/dockerfile:1
# Heirloom: build with tsc, run the compiled JavaScript with production dependencies only.
#   docker build -t heirloom .
#   docker run -p 4000:4000 -v heirloom-data:/data heirloom

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that a source change reuses this layer.
# classic-level (LevelDB) ships prebuilt binaries for linux x64/arm64 (glibc): no compiler needed.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
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
# Created and chowned before VOLUME, so a new named volume starts owned by `node`.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 4000
# The slim image has no curl: ask Node. 127.0.0.1 reaches the server while HOST is 0.0.0.0 (the default here).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# main.ts closes HTTP, the supervision tree and LevelDB in order on SIGTERM (within 10 s: Docker's default stop timeout).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
